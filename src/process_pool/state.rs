//! The pool's bookkeeping: children (slots), tasks (see [`super::task`]) and the queue of parts.
//!
//! All of it lives behind one mutex shared by the JavaScript thread (submit, cancel, forget,
//! respawn) and the supervisor thread (results, exits). Every message to a child is sent under
//! that mutex, which is what makes the cancel flag race-free: the flag is cleared just before a
//! part is sent and raised only for the part the child is known to run.
//!
//! A part handed to a child that dies before it started the part (the child's control page
//! tells, see [`super::fork::Control`]) goes back to the queue and runs on another child; only
//! a part the child had started fails its task. See `README.md` here for why that is safe.

use std::collections::{HashMap, VecDeque};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::shm::Segment;

use super::child::MAX_MAPPED;
use super::fork::Child;
use super::protocol::{Done, Loc, Msg, PartOutcome, PartSpec};
use super::socket;
use super::task::Failure;
pub(super) use super::task::{complete, Task};

/// A child and what it is doing.
#[derive(Debug)]
pub(super) struct Slot {
    pub(super) child: Child,
    /// The task of a one-shot child (None: a persistent child).
    pub(super) one_shot: Option<u32>,
    /// The part it was handed and has not reported.
    pub(super) running: Option<Running>,
    /// Segments it has mapped, oldest first (persistent children).
    mapped: Vec<u64>,
    /// Segments to unmap once it is idle.
    unmap: Vec<u64>,
    /// The child is exiting (it reported a panic, or its socket closed): it gets no more
    /// parts, and only its pidfd is polled.
    pub(super) retiring: bool,
}

/// A part handed to a child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Running {
    pub(super) task: u32,
    /// Its sequence number (unique in the pool, from 1; 0 for a one-shot child's part).
    pub(super) seq: u64,
    /// Its index in the task's parts.
    pub(super) part: usize,
}

impl Slot {
    /// A persistent child, idle.
    pub(super) fn new(child: Child) -> Self {
        Self {
            child,
            one_shot: None,
            running: None,
            mapped: Vec::new(),
            unmap: Vec::new(),
            retiring: false,
        }
    }

    /// A one-shot child, forked to run part `part` of task `task`.
    pub(super) fn one_shot(child: Child, task: u32, part: usize) -> Self {
        Self {
            one_shot: Some(task),
            running: Some(Running { task, seq: 0, part }),
            ..Self::new(child)
        }
    }
}

/// How many times a task's parts may be lost to children that die before starting them, per
/// persistent child of the pool: when every child of a pool is killed at once, each loses at
/// most the one part it was handed, so a task loses at most the pool's size to one such event.
/// The limit only ends a task that would otherwise wait forever because children die before
/// taking any part (say, from a fault at start-up).
pub(super) const MAX_LOST_PER_PROCESS: usize = 4;

#[derive(Debug)]
pub(super) struct State {
    pub(super) slots: Vec<Slot>,
    tasks: HashMap<u32, Task>,
    queue: VecDeque<u32>,
    next_seq: u64,
    /// Tasks that ended, to be finished outside the lock.
    finished: Vec<(u32, Task)>,
    /// Lost hand-offs a task survives (see [`MAX_LOST_PER_PROCESS`]).
    max_lost: usize,
}

impl State {
    /// The state of a pool of `processes` persistent children.
    pub(super) fn new(processes: usize) -> Self {
        Self {
            slots: Vec::new(),
            tasks: HashMap::new(),
            queue: VecDeque::new(),
            next_seq: 0,
            finished: Vec::new(),
            max_lost: MAX_LOST_PER_PROCESS * processes.max(1),
        }
    }

    /// Persistent children alive.
    pub(super) fn persistent(&self) -> usize {
        self.slots.iter().filter(|s| s.one_shot.is_none()).count()
    }

    /// Registers a task (a one-shot task's children are already in `slots`).
    pub(super) fn add(&mut self, id: u32, task: Task) {
        let queued = !task.one_shot() && task.queued();
        self.tasks.insert(id, task);
        if queued {
            self.queue.push_back(id);
        }
        self.settle_if_done(id);
        self.dispatch();
    }

    /// Hands queued parts to idle persistent children.
    pub(super) fn dispatch(&mut self) {
        for i in 0..self.slots.len() {
            let slot = &self.slots[i];
            if slot.one_shot.is_some() || slot.running.is_some() || slot.retiring {
                continue;
            }
            self.flush_unmaps(i);
            let Some((id, index)) = self.next_part() else {
                return;
            };
            let Some(task) = self.tasks.get(&id) else {
                return;
            };
            let (part, segments) = task.part(index);
            let segments = segments.to_vec();
            self.next_seq += 1;
            let seq = self.next_seq;
            let slot = &mut self.slots[i];
            slot.running = Some(Running {
                task: id,
                seq,
                part: index,
            });
            if let Err(why) = send_part(slot, seq, &part, &segments) {
                // The child will not run it: report the part as refused.
                let done = Done::new(seq, PartOutcome::Invalid, 0.0, why);
                self.on_done(i, done);
            }
        }
    }

    /// Takes the next part to hand out, in queue order: (task id, part index).
    fn next_part(&mut self) -> Option<(u32, usize)> {
        while let Some(&id) = self.queue.front() {
            let Some(task) = self.tasks.get_mut(&id) else {
                self.queue.pop_front();
                continue;
            };
            let Some(index) = task.take() else {
                self.queue.pop_front();
                continue;
            };
            if !task.queued() {
                self.queue.pop_front();
            }
            return Some((id, index));
        }
        None
    }

    fn flush_unmaps(&mut self, slot: usize) {
        let slot = &mut self.slots[slot];
        for id in std::mem::take(&mut slot.unmap) {
            let _ = socket::send(slot.child.sock.as_raw_fd(), &Msg::Unmap { id }, None, true);
            slot.mapped.retain(|&m| m != id);
        }
    }

    /// A segment was closed or collected: children unmap it (idle ones now, busy ones once
    /// their part is done).
    pub(super) fn forget(&mut self, id: u64) {
        for i in 0..self.slots.len() {
            if self.slots[i].mapped.contains(&id) {
                self.slots[i].unmap.push(id);
                if self.slots[i].running.is_none() {
                    self.flush_unmaps(i);
                }
            }
        }
    }

    /// A child reported a part.
    pub(super) fn on_done(&mut self, slot: usize, done: Done) {
        let Some(Running { task: id, seq, .. }) = self.slots[slot].running else {
            return;
        };
        if seq != done.seq {
            return;
        }
        self.slots[slot].running = None;
        if done.outcome == PartOutcome::Panicked {
            // A child that panicked exits right after reporting it.
            self.slots[slot].retiring = true;
        }
        let Some(task) = self.tasks.get_mut(&id) else {
            return;
        };
        task.returned();
        match done.outcome {
            PartOutcome::Ok => {
                if let Err(why) = task.add_reply(&done.reply) {
                    self.fail(id, Failure::Invalid(why.to_owned()));
                }
            }
            PartOutcome::Cancelled => {}
            PartOutcome::Panicked => self.fail(id, Failure::Panicked(done.text().to_owned())),
            PartOutcome::Invalid => self.fail(id, Failure::Invalid(done.text().to_owned())),
        }
        self.settle_if_done(id);
    }

    /// A child exited; returns its slot (the caller has reaped it, so its control page says
    /// for good whether it started the part it was handed).
    pub(super) fn on_exit(&mut self, slot: usize, code: i32, signal: i32) -> Slot {
        let slot = self.slots.swap_remove(slot);
        if let Some(run) = slot.running {
            // A one-shot child is forked with its part (and its snapshot of the inputs, which
            // a replacement would not see as they were): its part counts as started.
            let started = slot.one_shot.is_some() || slot.child.control.get().started(run.seq);
            self.part_lost(run, started, code, signal);
        }
        slot
    }

    /// The child running `run` died. A part it `started` fails its task: the part may have
    /// written some of its output, and a kernel run again on half-done memory (a sort in
    /// place, say) would not give the same result. A part it never started has done nothing,
    /// so it goes back to the front of the queue (the caller dispatches it).
    fn part_lost(&mut self, run: Running, started: bool, code: i32, signal: i32) {
        let id = run.task;
        let Some(task) = self.tasks.get_mut(&id) else {
            return;
        };
        task.returned();
        if started {
            self.fail(id, Failure::Exited { code, signal });
        } else if task.stopped() {
            // Failed or cancelled meanwhile: nothing to run again.
        } else if !task.give_back(run.part, self.max_lost) {
            self.fail(id, Failure::Lost { code, signal });
        } else if !self.queue.contains(&id) {
            // It was handed out before every task still queued.
            self.queue.push_front(id);
        }
        self.settle_if_done(id);
    }

    /// The user aborted a task: queued parts are dropped, running ones see their cancel flag.
    pub(super) fn cancel(&mut self, id: u32) {
        let Some(task) = self.tasks.get_mut(&id) else {
            return;
        };
        task.cancel();
        self.stop(id);
        self.settle_if_done(id);
    }

    /// Records the first failure and stops the task's other parts.
    fn fail(&mut self, id: u32, failure: Failure) {
        if let Some(task) = self.tasks.get_mut(&id) {
            task.fail(failure);
        }
        self.stop(id);
    }

    /// Drops the task's queued parts and raises the cancel flag of its running ones.
    fn stop(&mut self, id: u32) {
        self.queue.retain(|&q| q != id);
        for slot in &self.slots {
            if slot.running.is_some_and(|r| r.task == id) {
                slot.child.control.cancel().store(true, Ordering::Relaxed);
            }
        }
    }

    fn settle_if_done(&mut self, id: u32) {
        let done = self.tasks.get(&id).is_some_and(Task::ended);
        if done {
            if let Some(task) = self.tasks.remove(&id) {
                self.finished.push((id, task));
            }
        }
    }

    /// Tasks that ended since the last call.
    pub(super) fn take_finished(&mut self) -> Vec<(u32, Task)> {
        std::mem::take(&mut self.finished)
    }

    /// Ends every task (the pool is going away); returns their ids.
    pub(super) fn drain_all(&mut self) -> Vec<u32> {
        self.queue.clear();
        let mut ids: Vec<u32> = self.tasks.drain().map(|(id, _)| id).collect();
        ids.extend(self.finished.drain(..).map(|(id, _)| id));
        ids
    }
}

/// Sends a part to an idle persistent child, mapping the segments it needs first.
///
/// Sends never block (the JavaScript thread may be the caller): an idle child has read
/// everything sent to it, so a full socket means it is stopped or stuck. Such a child, or one
/// whose socket fails, is killed: it never started the part (unless it read the `Run`), so its
/// exit puts the part back in the queue, and a replacement is forked.
fn send_part(
    slot: &mut Slot,
    seq: u64,
    part: &PartSpec,
    segments: &[Arc<Segment>],
) -> Result<(), &'static str> {
    let sock = slot.child.sock.as_raw_fd();
    let mut ok = true;
    for view in part.views() {
        let Loc::Segment { id, .. } = view.loc else {
            continue;
        };
        if slot.mapped.contains(&id) {
            continue;
        }
        let segment = segments
            .iter()
            .find(|s| s.id() == id)
            .ok_or("a view's SharedMemory is gone")?;
        if slot.mapped.len() >= MAX_MAPPED {
            let needed = |m: u64| {
                part.views()
                    .iter()
                    .any(|v| matches!(v.loc, Loc::Segment { id, .. } if id == m))
            };
            if let Some(pos) = slot.mapped.iter().position(|&m| !needed(m)) {
                let old = slot.mapped.remove(pos);
                ok &= socket::send(sock, &Msg::Unmap { id: old }, None, true).is_ok();
            }
        }
        let map = Msg::Map {
            id,
            len: segment.len() as u64,
        };
        let sent = segment
            .with_fd(|fd| socket::send(sock, &map, Some(fd), true))
            .ok_or("the SharedMemory was closed")?;
        ok &= sent.is_ok();
        slot.mapped.push(id);
    }
    slot.child.control.cancel().store(false, Ordering::Relaxed);
    ok &= socket::send(sock, &Msg::Run { seq, part: *part }, None, true).is_ok();
    if !ok {
        slot.child.kill();
    }
    Ok(())
}

#[cfg(test)]
mod test {
    use super::super::kernels::Finish;
    use super::*;
    use crate::core::task::Outcome;

    const SIGKILL: i32 = 9;

    fn task(parts: usize) -> Task {
        let parts = vec![PartSpec::new(0, &[], &[]).unwrap(); parts];
        Task::new(parts, Vec::new(), Finish::Nothing, false)
    }

    /// What `dispatch` does for a child, without a child: the next part, handed out.
    fn hand_out(state: &mut State) -> Option<Running> {
        let (task, part) = state.next_part()?;
        state.next_seq += 1;
        Some(Running {
            task,
            seq: state.next_seq,
            part,
        })
    }

    /// What `on_done` does with a part reported done.
    fn report(state: &mut State, run: Running) {
        if let Some(task) = state.tasks.get_mut(&run.task) {
            task.returned();
        }
        state.settle_if_done(run.task);
    }

    fn outcomes(state: &mut State) -> Vec<(u32, Outcome, i32)> {
        let finished = state.take_finished();
        finished
            .into_iter()
            .map(|(id, task)| {
                let c = complete(id, task);
                (c.id, c.outcome, c.signal)
            })
            .collect()
    }

    #[test]
    fn a_part_whose_child_died_before_starting_it_is_handed_out_again_first() {
        let mut state = State::new(2);
        state.add(1, task(2));
        state.add(2, task(1));
        let a = hand_out(&mut state).unwrap();
        let b = hand_out(&mut state).unwrap();
        assert_eq!((a.task, a.part, b.task, b.part), (1, 0, 1, 1));
        state.part_lost(a, false, -1, SIGKILL);
        // Before task 2, which was queued behind.
        let again = hand_out(&mut state).unwrap();
        assert_eq!((again.task, again.part), (1, 0));
        assert_ne!(again.seq, a.seq);
        assert_eq!(hand_out(&mut state).map(|r| r.task), Some(2));
        assert_eq!(hand_out(&mut state), None);
        report(&mut state, b);
        assert!(outcomes(&mut state).is_empty());
        report(&mut state, again);
        assert_eq!(outcomes(&mut state), [(1, Outcome::Ok, 0)]);
    }

    #[test]
    fn a_part_the_child_started_fails_its_task_once_its_other_parts_are_back() {
        let mut state = State::new(2);
        state.add(1, task(3));
        let a = hand_out(&mut state).unwrap();
        let b = hand_out(&mut state).unwrap();
        state.part_lost(a, true, -1, SIGKILL);
        // The third part is never handed out, the second one is still out.
        assert_eq!(hand_out(&mut state), None);
        assert!(outcomes(&mut state).is_empty());
        // A part of a failed task that another dead child never started is not run again.
        state.part_lost(b, false, -1, SIGKILL);
        assert_eq!(hand_out(&mut state), None);
        assert_eq!(outcomes(&mut state), [(1, Outcome::Exited, SIGKILL)]);
    }

    #[test]
    fn a_cancelled_task_does_not_run_a_part_given_back() {
        let mut state = State::new(1);
        state.add(1, task(1));
        let a = hand_out(&mut state).unwrap();
        state.cancel(1);
        state.part_lost(a, false, -1, SIGKILL);
        assert_eq!(hand_out(&mut state), None);
        assert_eq!(outcomes(&mut state), [(1, Outcome::Cancelled, 0)]);
    }

    #[test]
    fn lost_hand_offs_are_bounded() {
        let processes = 2;
        let mut state = State::new(processes);
        state.add(1, task(1));
        for _ in 0..MAX_LOST_PER_PROCESS * processes {
            let run = hand_out(&mut state).unwrap();
            state.part_lost(run, false, -1, SIGKILL);
            assert!(outcomes(&mut state).is_empty());
        }
        let run = hand_out(&mut state).unwrap();
        state.part_lost(run, false, -1, SIGKILL);
        assert_eq!(hand_out(&mut state), None);
        assert_eq!(outcomes(&mut state), [(1, Outcome::Lost, SIGKILL)]);
    }
}
