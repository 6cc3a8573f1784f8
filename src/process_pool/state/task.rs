//! One task's life: its parts, which of them are handed out, given back or done, and how it
//! ends ([`complete`]). The pool's [`super::State`] keeps its tasks behind its mutex.

use std::sync::Arc;
use std::time::Instant;

use crate::core::task::{Completion, Outcome};
use crate::shm::Segment;

use crate::process_pool::kernels::Finish;
use crate::process_pool::protocol::{PartSpec, Reply};

/// Why a task failed.
#[derive(Debug, Clone)]
pub(super) enum Failure {
    /// A child died while it ran one of the task's parts.
    Exited {
        code: i32,
        signal: i32,
    },
    /// Children died before they started one of its parts, more often than a task may
    /// survive (see [`super::MAX_LOST_PER_PROCESS`]); the last one's exit.
    Lost {
        code: i32,
        signal: i32,
    },
    Panicked(String),
    Invalid(String),
}

/// A submitted task.
#[derive(Debug)]
pub(in crate::process_pool) struct Task {
    parts: Vec<PartSpec>,
    /// The segments its views lie in: kept mapped (and their fds at hand) while it runs.
    segments: Vec<Arc<Segment>>,
    finish: Finish,
    one_shot: bool,
    /// The first part never handed out.
    next: usize,
    /// Parts handed to children that died before starting them: handed out again first.
    again: Vec<usize>,
    /// Parts handed out and not reported.
    running: usize,
    /// Hand-offs lost to children that died before starting the part.
    lost: usize,
    sum: f64,
    failure: Option<Failure>,
    cancelled: bool,
    submitted: Instant,
}

impl Task {
    pub(in crate::process_pool) fn new(
        parts: Vec<PartSpec>,
        segments: Vec<Arc<Segment>>,
        finish: Finish,
        one_shot: bool,
    ) -> Self {
        Self {
            next: if one_shot { parts.len() } else { 0 },
            again: Vec::new(),
            running: if one_shot { parts.len() } else { 0 },
            lost: 0,
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

    pub(super) fn one_shot(&self) -> bool {
        self.one_shot
    }

    /// Part `index` and the segments its views lie in.
    pub(super) fn part(&self, index: usize) -> (PartSpec, &[Arc<Segment>]) {
        (self.parts[index], &self.segments)
    }

    /// Parts still to hand out.
    pub(super) fn queued(&self) -> bool {
        self.next < self.parts.len() || !self.again.is_empty()
    }

    /// Hands out the next part (one given back first): its index.
    pub(super) fn take(&mut self) -> Option<usize> {
        let index = match self.again.pop() {
            Some(index) => index,
            None if self.next < self.parts.len() => {
                self.next += 1;
                self.next - 1
            }
            None => return None,
        };
        self.running += 1;
        Some(index)
    }

    /// A part handed out came back: reported, or its child died.
    pub(super) fn returned(&mut self) {
        self.running -= 1;
    }

    /// Folds a part's reply into the task (see `Finish::add`).
    pub(super) fn add_reply(&mut self, reply: &Reply) -> Result<(), &'static str> {
        self.finish.add(reply, &mut self.sum)
    }

    /// Takes back part `index`, which a child that died never started, to hand it out again
    /// first; false when `max_lost` parts were given back already.
    pub(super) fn give_back(&mut self, index: usize, max_lost: usize) -> bool {
        if self.lost >= max_lost {
            return false;
        }
        self.lost += 1;
        self.again.push(index);
        true
    }

    /// Ended: nothing running, nothing to hand out.
    pub(super) fn ended(&self) -> bool {
        self.running == 0 && !self.queued()
    }

    /// Records the first failure (the task hands out nothing more).
    pub(super) fn fail(&mut self, failure: Failure) {
        self.failure.get_or_insert(failure);
        self.stop();
    }

    /// The user aborted it (it hands out nothing more).
    pub(super) fn cancel(&mut self) {
        self.cancelled = true;
        self.stop();
    }

    fn stop(&mut self) {
        self.next = self.parts.len();
        self.again.clear();
    }

    /// Failed or cancelled.
    pub(super) fn stopped(&self) -> bool {
        self.failure.is_some() || self.cancelled
    }
}

/// Turns an ended task into its completion, running the parent's last step (the merge of a
/// sort, a histogram's totals) when every part succeeded. Called without the lock held.
pub(in crate::process_pool) fn complete(id: u32, task: Task) -> Completion {
    let mut c = Completion::new(id, Outcome::Ok);
    match (task.failure, task.cancelled) {
        (_, true) => c.outcome = Outcome::Cancelled,
        (Some(Failure::Exited { code, signal }), _) => {
            c.outcome = Outcome::Exited;
            c.code = code;
            c.signal = signal;
        }
        (Some(Failure::Lost { code, signal }), _) => {
            c.outcome = Outcome::Lost;
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
