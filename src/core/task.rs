//! The task vocabulary shared by the pools: how a task ended ([`Outcome`]), the layout of its
//! record in a completion batch ([`TaskField`]) and the completion itself ([`Completion`]).
//!
//! `Outcome` and `TaskField` are exported to JavaScript (`#[napi] enum`), so the facade reads
//! the numbers from here instead of copying them (`lib/internal/task.js`).

use napi_derive::napi;

use super::completion::Batch;

/// How a task ended, as reported to JavaScript.
#[napi]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It ran to the end; the record's value is its result.
    Ok = 0,
    /// It was cancelled (an AbortSignal, or the pool's destruction).
    Cancelled = 1,
    /// Native code panicked; the message says why.
    Panicked = 2,
    /// The worker process running it exited (ProcessPool); code and signal say how.
    Exited = 3,
    /// The pool was destroyed before the task ended (ProcessPool).
    Destroyed = 4,
    /// A worker process refused the task (ProcessPool); the message says why.
    Invalid = 5,
    /// Worker processes died before starting its parts, again and again (ProcessPool); code
    /// and signal say how the last one ended.
    Lost = 6,
}

/// Where each number of a task's record lies in a [`Batch`]. A pool sends the first
/// `batch.width` of them: the ThreadPool up to `WaitMs`, the ProcessPool all.
#[napi]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskField {
    /// The task id `submit` returned.
    Id = 0,
    /// An [`Outcome`].
    Outcome = 1,
    /// The kernel's scalar result (0 for kernels that write an output array).
    Value = 2,
    /// Milliseconds the task ran.
    RunMs = 3,
    /// Milliseconds the task waited before it started (0 where the pool does not measure it).
    WaitMs = 4,
    /// The exit code of the worker process that died running it (`Exited`), or 0.
    Code = 5,
    /// The signal that ended that process (`Exited`), or 0.
    Signal = 6,
}

/// Numbers in a ThreadPool record: `Id` to `WaitMs`.
pub(crate) const THREAD_POOL_WIDTH: usize = TaskField::WaitMs as usize + 1;
/// Numbers in a ProcessPool record: every field.
pub(crate) const PROCESS_POOL_WIDTH: usize = TaskField::Signal as usize + 1;

/// One finished task, on its way to JavaScript.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Completion {
    pub(crate) id: u32,
    pub(crate) outcome: Outcome,
    pub(crate) value: f64,
    pub(crate) run_ms: f64,
    pub(crate) wait_ms: f64,
    pub(crate) code: i32,
    pub(crate) signal: i32,
    pub(crate) message: Option<String>,
}

impl Completion {
    /// A task that ended with `outcome` and nothing else to say.
    pub(crate) fn new(id: u32, outcome: Outcome) -> Self {
        Self {
            id,
            outcome,
            value: 0.0,
            run_ms: 0.0,
            wait_ms: 0.0,
            code: 0,
            signal: 0,
            message: None,
        }
    }

    /// The record in [`TaskField`] order.
    fn fields(&self) -> [f64; PROCESS_POOL_WIDTH] {
        [
            f64::from(self.id),
            self.outcome as u8 as f64,
            self.value,
            self.run_ms,
            self.wait_ms,
            f64::from(self.code),
            f64::from(self.signal),
        ]
    }

    /// Appends this task's record (its first `batch.width` fields) and message to `batch`.
    pub(crate) fn push_to(self, batch: &mut Batch) {
        let width = batch.width as usize;
        batch.push_with_message(&self.fields()[..width], self.message);
    }
}

/// The batch of `completions`, `width` fields per record.
pub(crate) fn batch_of(width: usize, completions: Vec<Completion>) -> Batch {
    let mut batch = Batch::with_capacity(width, completions.len());
    for c in completions {
        c.push_to(&mut batch);
    }
    batch
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn records_follow_the_field_order() {
        let mut c = Completion::new(7, Outcome::Exited);
        c.value = 1.5;
        c.run_ms = 2.0;
        c.wait_ms = 3.0;
        c.code = -1;
        c.signal = 9;
        c.message = Some("gone".into());
        let batch = batch_of(PROCESS_POOL_WIDTH, vec![c.clone()]);
        assert_eq!(batch.width as usize, PROCESS_POOL_WIDTH);
        assert_eq!(batch.numbers[TaskField::Id as usize], 7.0);
        assert_eq!(batch.numbers[TaskField::Outcome as usize], 3.0);
        assert_eq!(batch.numbers[TaskField::Value as usize], 1.5);
        assert_eq!(batch.numbers[TaskField::RunMs as usize], 2.0);
        assert_eq!(batch.numbers[TaskField::WaitMs as usize], 3.0);
        assert_eq!(batch.numbers[TaskField::Code as usize], -1.0);
        assert_eq!(batch.numbers[TaskField::Signal as usize], 9.0);
        assert_eq!(batch.messages, [Some("gone".to_owned())]);

        let short = batch_of(THREAD_POOL_WIDTH, vec![c.clone(), c]);
        assert_eq!(short.numbers.len(), 2 * THREAD_POOL_WIDTH);
        assert_eq!(short.numbers[THREAD_POOL_WIDTH], 7.0);
        assert_eq!(short.messages.len(), 2);
        let quiet = batch_of(THREAD_POOL_WIDTH, vec![Completion::new(1, Outcome::Ok)]);
        assert!(quiet.messages.is_empty());
    }
}
