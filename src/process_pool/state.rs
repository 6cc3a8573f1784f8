//! The pool's bookkeeping: children (slots), tasks, the queue of parts, and how a task ends.
//!
//! All of it lives behind one mutex shared by the JavaScript thread (submit, cancel, forget,
//! respawn) and the supervisor thread (results, exits). Every message to a child is sent under
//! that mutex, which is what makes the cancel flag race-free: the flag is cleared just before a
//! part is sent and raised only for the part the child is known to run.

use std::collections::{HashMap, VecDeque};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use crate::shm::Segment;

use super::child::MAX_MAPPED;
use super::fork::Child;
use super::kernels::Finish;
use super::protocol::{Done, Loc, Msg, PartOutcome, PartSpec};
use super::socket;

/// A child and what it is doing.
#[derive(Debug)]
pub(super) struct Slot {
    pub(super) child: Child,
    /// The task of a one-shot child (None: a persistent child).
    pub(super) one_shot: Option<u32>,
    /// The part it runs: (task id, part sequence number).
    pub(super) running: Option<(u32, u64)>,
    /// Segments it has mapped, oldest first (persistent children).
    mapped: Vec<u64>,
    /// Segments to unmap once it is idle.
    unmap: Vec<u64>,
    /// The child is exiting (it reported a panic, or its socket closed): it gets no more
    /// parts, and only its pidfd is polled.
    pub(super) retiring: bool,
}

impl Slot {
    pub(super) fn new(child: Child, one_shot: Option<u32>) -> Self {
        Self {
            child,
            one_shot,
            running: None,
            mapped: Vec::new(),
            unmap: Vec::new(),
            retiring: false,
        }
    }
}

/// Why a task failed.
#[derive(Debug, Clone)]
pub(super) enum Failure {
    Exited { code: i32, signal: i32 },
    Panicked(String),
    Invalid(String),
}

/// A submitted task.
#[derive(Debug)]
pub(super) struct Task {
    parts: Vec<PartSpec>,
    /// The segments its views lie in: kept mapped (and their fds at hand) while it runs.
    segments: Vec<Arc<Segment>>,
    finish: Finish,
    one_shot: bool,
    next: usize,
    running: usize,
    sum: f64,
    failure: Option<Failure>,
    cancelled: bool,
    submitted: Instant,
}

impl Task {
    pub(super) fn new(
        parts: Vec<PartSpec>,
        segments: Vec<Arc<Segment>>,
        finish: Finish,
        one_shot: bool,
    ) -> Self {
        Self {
            next: if one_shot { parts.len() } else { 0 },
            running: if one_shot { parts.len() } else { 0 },
            parts,
            segments,
            finish,
            one_shot,
            sum: 0.0,
            failure: None,
            cancelled: false,
            submitted: Instant::now(),
        }
    }
}

/// How a task ended, as reported to JavaScript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Outcome {
    Ok = 0,
    Cancelled = 1,
    Panicked = 2,
    Exited = 3,
    Destroyed = 4,
    Invalid = 5,
}

#[derive(Debug)]
pub(super) struct Completion {
    pub(super) id: u32,
    pub(super) outcome: Outcome,
    pub(super) value: f64,
    pub(super) code: i32,
    pub(super) signal: i32,
    pub(super) run_ms: f64,
    pub(super) message: Option<String>,
}

impl Completion {
    pub(super) fn destroyed(id: u32) -> Self {
        Self {
            id,
            outcome: Outcome::Destroyed,
            value: 0.0,
            code: 0,
            signal: 0,
            run_ms: 0.0,
            message: None,
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) slots: Vec<Slot>,
    tasks: HashMap<u32, Task>,
    queue: VecDeque<u32>,
    next_seq: u64,
    /// Tasks that ended, to be finished outside the lock.
    finished: Vec<(u32, Task)>,
}

impl State {
    /// Persistent children alive.
    pub(super) fn persistent(&self) -> usize {
        self.slots.iter().filter(|s| s.one_shot.is_none()).count()
    }

    /// Registers a task (a one-shot task's children are already in `slots`).
    pub(super) fn add(&mut self, id: u32, task: Task) {
        let queued = !task.one_shot && !task.parts.is_empty();
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
            let Some(&id) = self.queue.front() else {
                return;
            };
            let Some(task) = self.tasks.get_mut(&id) else {
                self.queue.pop_front();
                continue;
            };
            let part = task.parts[task.next];
            task.next += 1;
            task.running += 1;
            if task.next == task.parts.len() {
                self.queue.pop_front();
            }
            let segments = task.segments.clone();
            self.next_seq += 1;
            let seq = self.next_seq;
            let slot = &mut self.slots[i];
            slot.running = Some((id, seq));
            if let Err(why) = send_part(slot, seq, &part, &segments) {
                // The child will not run it: report the part as refused.
                let done = Done::new(seq, PartOutcome::Invalid, 0.0, why);
                self.on_done(i, done);
            }
        }
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
        let Some((id, seq)) = self.slots[slot].running else {
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
        task.running -= 1;
        match done.outcome {
            PartOutcome::Ok => {
                if let Err(why) = task.finish.add(&done.reply, &mut task.sum) {
                    self.fail(id, Failure::Invalid(why.to_owned()));
                }
            }
            PartOutcome::Cancelled => {}
            PartOutcome::Panicked => self.fail(id, Failure::Panicked(done.text().to_owned())),
            PartOutcome::Invalid => self.fail(id, Failure::Invalid(done.text().to_owned())),
        }
        self.settle_if_done(id);
    }

    /// A child exited; returns its slot (the caller has reaped it).
    pub(super) fn on_exit(&mut self, slot: usize, code: i32, signal: i32) -> Slot {
        let slot = self.slots.swap_remove(slot);
        if let Some((id, _)) = slot.running {
            if let Some(task) = self.tasks.get_mut(&id) {
                task.running -= 1;
                self.fail(id, Failure::Exited { code, signal });
                self.settle_if_done(id);
            }
        }
        slot
    }

    /// The user aborted a task: queued parts are dropped, running ones see their cancel flag.
    pub(super) fn cancel(&mut self, id: u32) {
        let Some(task) = self.tasks.get_mut(&id) else {
            return;
        };
        task.cancelled = true;
        self.stop(id);
        self.settle_if_done(id);
    }

    /// Records the first failure and stops the task's other parts.
    fn fail(&mut self, id: u32, failure: Failure) {
        if let Some(task) = self.tasks.get_mut(&id) {
            task.failure.get_or_insert(failure);
        }
        self.stop(id);
    }

    fn stop(&mut self, id: u32) {
        if let Some(task) = self.tasks.get_mut(&id) {
            task.next = task.parts.len();
        }
        self.queue.retain(|&q| q != id);
        for slot in &self.slots {
            if slot.running.is_some_and(|(t, _)| t == id) {
                slot.child.control.cancel().store(true, Ordering::Relaxed);
            }
        }
    }

    fn settle_if_done(&mut self, id: u32) {
        let done = self
            .tasks
            .get(&id)
            .is_some_and(|t| t.running == 0 && t.next == t.parts.len());
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
/// whose socket fails, is killed: its exit then fails the part with ERR_WORKER_EXITED and a
/// replacement is forked.
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

/// Turns an ended task into its completion, running the parent's last step (the merge of a
/// sort, a histogram's totals) when every part succeeded. Called without the lock held.
pub(super) fn complete(id: u32, task: Task) -> Completion {
    let mut c = Completion {
        id,
        outcome: Outcome::Ok,
        value: 0.0,
        code: 0,
        signal: 0,
        run_ms: 0.0,
        message: None,
    };
    match (task.failure, task.cancelled) {
        (_, true) => c.outcome = Outcome::Cancelled,
        (Some(Failure::Exited { code, signal }), _) => {
            c.outcome = Outcome::Exited;
            c.code = code;
            c.signal = signal;
        }
        (Some(Failure::Panicked(m)), _) => {
            c.outcome = Outcome::Panicked;
            c.message = Some(m);
        }
        (Some(Failure::Invalid(m)), _) => {
            c.outcome = Outcome::Invalid;
            c.message = Some(m);
        }
        (None, false) => {
            c.value = task.sum;
            task.finish.run();
        }
    }
    c.run_ms = task.submitted.elapsed().as_secs_f64() * 1e3;
    c
}
