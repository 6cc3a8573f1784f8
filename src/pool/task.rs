//! One task's life on a pool thread: queued → running → completed, or cancelled while queued.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::core::task::{Completion, Outcome};
use crate::kernels::{Ctx, Job};
use crate::napi_util::panic_message;

use super::Shared;

/// Hashes task ids for the table of tasks in flight. Ids are consecutive numbers chosen by
/// this process, so they need spreading, not protection from collisions crafted by an
/// attacker: one multiplication (Fibonacci hashing) instead of SipHash's rounds.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u32(&mut self, id: u32) {
        self.0 = u64::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// The tasks submitted and not yet reported, by id.
pub(super) type TaskTable =
    std::collections::HashMap<u32, Arc<TaskCtl>, std::hash::BuildHasherDefault<IdHasher>>;

const QUEUED: u8 = 0;
const RUNNING: u8 = 1;
const DROPPED: u8 = 2;

/// Shared between the JS thread (which may cancel) and the pool thread (which runs).
#[derive(Debug)]
pub(super) struct TaskCtl {
    state: AtomicU8,
    cancel: AtomicBool,
    submitted: Instant,
}

impl TaskCtl {
    pub(super) fn new() -> Self {
        Self {
            state: AtomicU8::new(QUEUED),
            cancel: AtomicBool::new(false),
            submitted: Instant::now(),
        }
    }

    /// Drops the task if it has not started. Returns true when it had not: it will never run
    /// and no completion will be reported.
    pub(super) fn try_drop(&self) -> bool {
        self.state
            .compare_exchange(QUEUED, DROPPED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Raises the cancel flag: a running kernel sees it within ~1 ms.
    pub(super) fn raise_flag(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Cancels the task: drops it if it has not started (returns true), else raises its flag.
    pub(super) fn cancel(&self) -> bool {
        if self.try_drop() {
            return true;
        }
        self.raise_flag();
        false
    }
}

/// A task waiting in the pool's queue.
pub(super) struct Queued {
    pub(super) id: u32,
    pub(super) ctl: Arc<TaskCtl>,
    pub(super) job: Box<dyn Job>,
}

impl std::fmt::Debug for Queued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queued").field("id", &self.id).finish()
    }
}

/// A runner (the body of a rayon job): runs queued tasks in order until the queue is empty
/// (see `runners.rs`).
pub(super) fn run_queue(shared: &Shared) {
    while let Some(Queued { id, ctl, job }) = shared.runners.next() {
        execute(shared, id, ctl, job);
    }
}

/// Runs one task on a pool thread.
fn execute(shared: &Shared, id: u32, ctl: Arc<TaskCtl>, mut job: Box<dyn Job>) {
    // Count as running before claiming, so that whoever cancels everything and then waits for
    // `running == 0` cannot miss a task that is just starting.
    shared.running.fetch_add(1, Ordering::AcqRel);
    if ctl
        .state
        .compare_exchange(QUEUED, RUNNING, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        shared.running.fetch_sub(1, Ordering::AcqRel);
        return;
    }
    shared.queued.fetch_sub(1, Ordering::AcqRel);
    let start = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| job.run(&Ctx::new(&ctl.cancel))));
    // Dropping the job may run kernel code too; keep it inside the guard.
    let dropped = catch_unwind(AssertUnwindSafe(move || drop(job)));
    let run = start.elapsed();
    let (outcome, value, message) = match (result, dropped) {
        (Ok(Ok(value)), Ok(())) => (Outcome::Ok, value, None),
        (Ok(Err(_cancelled)), _) => (Outcome::Cancelled, 0.0, None),
        (Err(payload), _) | (Ok(Ok(_)), Err(payload)) => {
            (Outcome::Panicked, 0.0, Some(panic_message(payload)))
        }
    };
    shared.completions.push(Completion {
        value,
        run_ms: run.as_secs_f64() * 1e3,
        wait_ms: start.duration_since(ctl.submitted).as_secs_f64() * 1e3,
        message,
        ..Completion::new(id, outcome)
    });
    shared.busy_ns.fetch_add(
        run.as_nanos().min(u64::MAX as u128) as u64,
        Ordering::Relaxed,
    );
    shared.running.fetch_sub(1, Ordering::AcqRel);
    shared.channel.wake();
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn cancel_before_start_drops_the_task() {
        let ctl = TaskCtl::new();
        assert!(ctl.cancel());
        assert!(
            !ctl.cancel(),
            "a second cancel reports it was not queued any more"
        );
    }

    #[test]
    fn cancel_after_start_only_raises_the_flag() {
        let ctl = TaskCtl::new();
        ctl.state.store(RUNNING, Ordering::SeqCst);
        assert!(!ctl.cancel());
        assert!(ctl.cancel.load(Ordering::SeqCst));
    }

    #[test]
    fn panic_messages_are_kept() {
        let p = catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
        assert_eq!(panic_message(p), "boom 1");
        let p = catch_unwind(|| std::panic::panic_any(7u8)).unwrap_err();
        assert_eq!(panic_message(p), "a native kernel panicked");
    }
}
