//! The pool's bookkeeping as a state machine: children (slots, named by [`SlotId`]), tasks
//! (see [`task`]) and the queue of parts. It does no I/O: every event (a task submitted or
//! cancelled, a child's report, a child's exit, ...) is a method that updates the books and
//! returns the [`Action`]s the caller must perform — which part goes to which child, which
//! child's cancel flag to raise, which task has ended. The caller keeps the children
//! themselves (pid, pidfd, socket, control page) under the same ids (see [`super::perform`]).
//!
//! The caller performs the actions under the same mutex as the state, in the order they are
//! returned. That keeps the cancel flag race-free as before: a flag is cleared just before a
//! part is sent ([`Action::Run`]) and raised ([`Action::Cancel`]) only for the part the child
//! is known to run, and no other thread sees the books between the decision and the send.
//!
//! A part handed to a child that dies before it started the part (the child's control page
//! tells, see [`super::fork::Control`]) goes back to the queue and runs on another child; only
//! a part the child had started fails its task. See `README.md` in `process_pool` for why
//! that is safe. Unit tests are in `test.rs` beside this file.

mod dispatch;
mod task;
#[cfg(test)]
mod test;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::shm::Segment;

use super::protocol::{Done, PartOutcome, PartSpec};
use task::Failure;
pub(super) use task::{complete, Task};

/// A child's name in the books, never reused by a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct SlotId(u64);

/// What the caller must do, in order, under the pool's mutex (but [`Action::Settle`] and
/// [`Action::Replace`], which are for after it).
#[derive(Debug)]
pub(super) enum Action {
    /// Hand a part to an idle persistent child: send `Unmap` for each of `unmap`, `Map` (with
    /// the memfd) for each of `map`, clear the child's cancel flag, send `Run`. A send that
    /// fails means the child is stopped or stuck: kill it (its exit tells whether it started
    /// the part). A segment whose fd is closed cannot be mapped: report it with
    /// [`State::refused`] and send nothing more for this part.
    Run {
        slot: SlotId,
        seq: u64,
        part: PartSpec,
        unmap: Vec<u64>,
        map: Vec<Arc<Segment>>,
    },
    /// Send `Unmap` for a segment to an idle child.
    Unmap { slot: SlotId, segment: u64 },
    /// Raise the child's cancel flag: the part it runs belongs to a task that stopped.
    Cancel { slot: SlotId },
    /// A task ended: turn it into its completion ([`complete`], which may merge or write
    /// counts: outside the lock) and report it.
    Settle { id: u32, task: Task },
    /// A persistent child is gone: fork a replacement (unless the pool is stopping).
    Replace,
}

/// How a child ended, read by the caller once it has reaped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Exit {
    pub(super) code: i32,
    pub(super) signal: i32,
    /// The sequence number of the last part it started, from its control page (0: none).
    pub(super) started: u64,
}

/// A child and what it is doing.
#[derive(Debug)]
struct Slot {
    id: SlotId,
    /// The task of a one-shot child (None: a persistent child).
    one_shot: Option<u32>,
    /// The part it was handed and has not reported.
    running: Option<Running>,
    /// Segments it has mapped, oldest first (persistent children).
    mapped: Vec<u64>,
    /// Segments to unmap once it is idle.
    unmap: Vec<u64>,
    /// The child is exiting (it reported a panic, or its socket closed): it gets no more
    /// parts, and only its pidfd is polled.
    retiring: bool,
}

/// A part handed to a child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Running {
    task: u32,
    /// Its sequence number (unique in the pool, from 1; 0 for a one-shot child's part).
    seq: u64,
    /// Its index in the task's parts.
    part: usize,
}

impl Slot {
    fn idle(&self) -> bool {
        self.one_shot.is_none() && self.running.is_none() && !self.retiring
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
    slots: Vec<Slot>,
    tasks: HashMap<u32, Task>,
    queue: VecDeque<u32>,
    next_seq: u64,
    next_slot: u64,
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
            next_slot: 0,
            max_lost: MAX_LOST_PER_PROCESS * processes.max(1),
        }
    }

    /// Persistent children alive.
    pub(super) fn persistent(&self) -> usize {
        self.slots.iter().filter(|s| s.one_shot.is_none()).count()
    }

    /// Every child, in the order they were added (a removed one's place taken by the last).
    pub(super) fn slots(&self) -> impl Iterator<Item = SlotId> + '_ {
        self.slots.iter().map(|s| s.id)
    }

    /// A persistent child (not a one-shot one)?
    pub(super) fn is_persistent(&self, slot: SlotId) -> bool {
        self.find(slot)
            .is_some_and(|i| self.slots[i].one_shot.is_none())
    }

    /// Exiting (only its exit is still to come)?
    pub(super) fn retiring(&self, slot: SlotId) -> bool {
        self.find(slot).is_some_and(|i| self.slots[i].retiring)
    }

    fn find(&self, slot: SlotId) -> Option<usize> {
        self.slots.iter().position(|s| s.id == slot)
    }

    fn new_slot(&mut self, one_shot: Option<(u32, usize)>) -> SlotId {
        self.next_slot += 1;
        let id = SlotId(self.next_slot);
        self.slots.push(Slot {
            id,
            one_shot: one_shot.map(|(task, _)| task),
            running: one_shot.map(|(task, part)| Running { task, seq: 0, part }),
            mapped: Vec::new(),
            unmap: Vec::new(),
            retiring: false,
        });
        id
    }

    /// A persistent child was forked: its id, and the parts it is handed at once.
    pub(super) fn add_child(&mut self) -> (SlotId, Vec<Action>) {
        let id = self.new_slot(None);
        let mut out = Vec::new();
        self.dispatch(&mut out);
        (id, out)
    }

    /// A one-shot child was forked to run part `part` of task `task` (which is submitted
    /// once all its children are added).
    pub(super) fn add_one_shot(&mut self, task: u32, part: usize) -> SlotId {
        self.new_slot(Some((task, part)))
    }

    /// A task was submitted (a one-shot task's children are added already).
    pub(super) fn submit(&mut self, id: u32, task: Task) -> Vec<Action> {
        let queued = !task.one_shot() && task.queued();
        self.tasks.insert(id, task);
        if queued {
            self.queue.push_back(id);
        }
        let mut out = Vec::new();
        self.settle_if_done(id, &mut out);
        self.dispatch(&mut out);
        out
    }

    /// The user aborted a task: queued parts are dropped, running ones see their cancel flag.
    pub(super) fn cancel(&mut self, id: u32) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(task) = self.tasks.get_mut(&id) else {
            return out;
        };
        task.cancel();
        self.stop(id, &mut out);
        self.settle_if_done(id, &mut out);
        out
    }

    /// A segment was closed or collected: children unmap it (idle ones now, busy ones once
    /// their part is done).
    pub(super) fn forget(&mut self, segment: u64) -> Vec<Action> {
        let mut out = Vec::new();
        for i in 0..self.slots.len() {
            if self.slots[i].mapped.contains(&segment) {
                self.slots[i].unmap.push(segment);
                if self.slots[i].running.is_none() {
                    self.flush_unmaps(i, &mut out);
                }
            }
        }
        out
    }

    /// A child reported a part.
    pub(super) fn done(&mut self, slot: SlotId, done: Done) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some(i) = self.find(slot) {
            self.report(i, done, &mut out);
        }
        self.dispatch(&mut out);
        out
    }

    /// The child could not be handed part `seq` ([`Action::Run`]): the segments of `unmapped`
    /// did not reach it (their fds were closed). The part fails its task as invalid.
    pub(super) fn refused(
        &mut self,
        slot: SlotId,
        seq: u64,
        unmapped: &[u64],
        why: &str,
    ) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some(i) = self.find(slot) {
            self.slots[i].mapped.retain(|m| !unmapped.contains(m));
            self.report(i, Done::new(seq, PartOutcome::Invalid, 0.0, why), &mut out);
        }
        self.dispatch(&mut out);
        out
    }

    /// The child is exiting (it reported a panic, or its socket closed): no more parts.
    pub(super) fn retire(&mut self, slot: SlotId) {
        if let Some(i) = self.find(slot) {
            self.slots[i].retiring = true;
        }
    }

    /// A child exited and was reaped (so its control page says for good whether it started
    /// the part it was handed); its slot is gone.
    pub(super) fn exited(&mut self, slot: SlotId, exit: Exit) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(i) = self.find(slot) else {
            return out;
        };
        let slot = self.slots.swap_remove(i);
        if let Some(run) = slot.running {
            // A one-shot child is forked with its part (and its snapshot of the inputs, which
            // a replacement would not see as they were): its part counts as started.
            let started = slot.one_shot.is_some() || exit.started == run.seq;
            self.part_lost(run, started, exit, &mut out);
        }
        if slot.one_shot.is_none() {
            out.push(Action::Replace);
        }
        self.dispatch(&mut out);
        out
    }

    /// Ends every task (the pool is going away) and forgets every child; returns the ids of
    /// the tasks not reported.
    pub(super) fn drain_all(&mut self) -> Vec<u32> {
        self.queue.clear();
        self.slots.clear();
        self.tasks.drain().map(|(id, _)| id).collect()
    }

    /// The child of slot `i` reported a part (or could not be handed it).
    pub(super) fn report(&mut self, i: usize, done: Done, out: &mut Vec<Action>) {
        let Some(Running { task: id, seq, .. }) = self.slots[i].running else {
            return;
        };
        if seq != done.seq {
            return;
        }
        self.slots[i].running = None;
        if done.outcome == PartOutcome::Panicked {
            // A child that panicked exits right after reporting it.
            self.slots[i].retiring = true;
        }
        let Some(task) = self.tasks.get_mut(&id) else {
            return;
        };
        task.returned();
        match done.outcome {
            PartOutcome::Ok => {
                if let Err(why) = task.add_reply(&done.reply) {
                    self.fail(id, Failure::Invalid(why.to_owned()), out);
                }
            }
            PartOutcome::Cancelled => {}
            PartOutcome::Panicked => {
                self.fail(id, Failure::Panicked(done.text().to_owned()), out);
            }
            PartOutcome::Invalid => self.fail(id, Failure::Invalid(done.text().to_owned()), out),
        }
        self.settle_if_done(id, out);
    }

    /// The child running `run` died. A part it `started` fails its task: the part may have
    /// written some of its output, and a kernel run again on half-done memory (a sort in
    /// place, say) would not give the same result. A part it never started has done nothing,
    /// so it goes back to the front of the queue.
    fn part_lost(&mut self, run: Running, started: bool, exit: Exit, out: &mut Vec<Action>) {
        let id = run.task;
        let Some(task) = self.tasks.get_mut(&id) else {
            return;
        };
        task.returned();
        let (code, signal) = (exit.code, exit.signal);
        if started {
            self.fail(id, Failure::Exited { code, signal }, out);
        } else if task.stopped() {
            // Failed or cancelled meanwhile: nothing to run again.
        } else if !task.give_back(run.part, self.max_lost) {
            self.fail(id, Failure::Lost { code, signal }, out);
        } else if !self.queue.contains(&id) {
            // It was handed out before every task still queued.
            self.queue.push_front(id);
        }
        self.settle_if_done(id, out);
    }

    /// Records the first failure and stops the task's other parts.
    fn fail(&mut self, id: u32, failure: Failure, out: &mut Vec<Action>) {
        if let Some(task) = self.tasks.get_mut(&id) {
            task.fail(failure);
        }
        self.stop(id, out);
    }

    /// Drops the task's queued parts and raises the cancel flag of its running ones.
    fn stop(&mut self, id: u32, out: &mut Vec<Action>) {
        self.queue.retain(|&q| q != id);
        for slot in &self.slots {
            if slot.running.is_some_and(|r| r.task == id) {
                out.push(Action::Cancel { slot: slot.id });
            }
        }
    }

    fn settle_if_done(&mut self, id: u32, out: &mut Vec<Action>) {
        if self.tasks.get(&id).is_some_and(Task::ended) {
            if let Some(task) = self.tasks.remove(&id) {
                out.push(Action::Settle { id, task });
            }
        }
    }
}
