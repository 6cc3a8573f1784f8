//! Admitting tasks: the checks every submission passes, and the batch form the facade uses
//! (one native call per microtask's worth of `run()` calls instead of one per task).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use napi::Env;
use napi_derive::napi;

use crate::kernels::{self, RawView};
use crate::napi_util::ErrorKind;

use super::task::{self, Queued, TaskCtl};
use super::NativePool;

/// Numbers per task in a batch's `tasks` array: `[id, kernel, params, views]`, the last two
/// being how many of the batch's params and views are this task's (taken in order).
pub(super) const BATCH_STRIDE: usize = 4;

/// A task of a batch that was refused; the others were queued.
#[napi(object)]
#[derive(Debug)]
pub struct SubmitFailure {
    /// Its position in the batch.
    pub index: u32,
    /// The error's code: ERR_QUEUE_FULL, ERR_POOL_DESTROYED, ERR_INVALID_ARG_VALUE.
    pub code: String,
    /// The error's message.
    pub message: String,
}

/// Why a task was not admitted.
#[derive(Debug)]
pub(super) struct Refusal {
    pub(super) kind: ErrorKind,
    pub(super) code: &'static str,
    pub(super) message: String,
}

impl Refusal {
    fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            code,
            message: message.into(),
        }
    }
}

/// One task of a batch, as read from its `tasks` record.
#[derive(Debug, PartialEq)]
pub(super) struct BatchTask {
    pub(super) id: Option<u32>,
    pub(super) kernel: Option<usize>,
    pub(super) params: std::ops::Range<usize>,
    pub(super) views: usize,
}

/// Reads a batch's `tasks` records (see [`BATCH_STRIDE`]). Err when the records do not add up
/// to the `params` and `views` given, or a count is not a whole number: the batch is refused
/// as a whole. Ids and kernels out of range are left `None`, to be refused one by one.
pub(super) fn parse_batch(
    tasks: &[f64],
    params: usize,
    views: usize,
) -> Result<Vec<BatchTask>, String> {
    if !tasks.len().is_multiple_of(BATCH_STRIDE) {
        return Err(format!(
            "tasks must hold {BATCH_STRIDE} numbers per task, got {}",
            tasks.len()
        ));
    }
    let whole = |x: f64, max: usize| {
        (x >= 0.0 && x.fract() == 0.0 && x <= max as f64).then_some(x as usize)
    };
    let mut out = Vec::with_capacity(tasks.len() / BATCH_STRIDE);
    let (mut p, mut v) = (0usize, 0usize);
    for record in tasks.chunks_exact(BATCH_STRIDE) {
        let n_params = whole(record[2], params - p).ok_or("the params counts do not add up")?;
        let n_views = whole(record[3], views - v).ok_or("the views counts do not add up")?;
        out.push(BatchTask {
            id: whole(record[0], u32::MAX as usize).map(|id| id as u32),
            kernel: whole(record[1], kernels::REGISTRY.len() - 1),
            params: p..p + n_params,
            views: n_views,
        });
        p += n_params;
        v += n_views;
    }
    if p != params || v != views {
        return Err("the params and views counts do not add up".into());
    }
    Ok(out)
}

impl NativePool {
    /// Checks one task and queues it under `id` (no runner is started: call
    /// [`Self::start_runners`] once the batch is queued). JS thread only.
    pub(super) fn admit(
        &mut self,
        env: &Env,
        id: u32,
        kernel: usize,
        params: &[f64],
        views: Vec<RawView>,
    ) -> Result<(), Refusal> {
        if self.pool.is_none() {
            return Err(Refusal::new(
                ErrorKind::Error,
                "ERR_POOL_DESTROYED",
                "the pool has been destroyed",
            ));
        }
        let shared = &self.shared;
        let busy = shared.queued.load(Ordering::Acquire) + shared.running.load(Ordering::Acquire);
        if busy as f64 >= self.threads as f64 + self.max_queue {
            return Err(Refusal::new(
                ErrorKind::Error,
                "ERR_QUEUE_FULL",
                "the task queue is full (maxQueue)",
            ));
        }
        let job = kernels::prepare(kernel, params, views)
            .map_err(|m| Refusal::new(ErrorKind::Type, "ERR_INVALID_ARG_VALUE", m))?;
        let ctl = Arc::new(TaskCtl::new());
        {
            let mut tasks = shared.tasks();
            if tasks.contains_key(&id) {
                return Err(Refusal::new(
                    ErrorKind::Type,
                    "ERR_INVALID_ARG_VALUE",
                    format!("task id {id} is in use"),
                ));
            }
            tasks.insert(id, ctl.clone());
            if tasks.len() == 1 {
                shared.channel.set_referenced(env, true).map_err(|e| {
                    Refusal::new(ErrorKind::Error, "ERR_NATIVE_POOL", e.reason.clone())
                })?;
            }
        }
        shared.queued.fetch_add(1, Ordering::AcqRel);
        shared.runners.push(Queued { id, ctl, job });
        Ok(())
    }

    /// Starts runners for what is queued (up to one per thread; none when enough are awake).
    pub(super) fn start_runners(&self) {
        let Some(pool) = self.pool.as_ref() else {
            return;
        };
        let waiting = self.shared.queued.load(Ordering::Acquire);
        for _ in 0..self.shared.runners.claim(waiting) {
            let shared = self.shared.clone();
            pool.spawn_fifo(move || task::run_queue(&shared));
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_batch_is_read_task_by_task() {
        let tasks = [7.0, 0.0, 0.0, 0.0, 8.0, 2.0, 3.0, 1.0, 9.0, 1.0, 1.0, 0.0];
        let parsed = parse_batch(&tasks, 4, 1).unwrap();
        assert_eq!(
            parsed,
            [
                BatchTask {
                    id: Some(7),
                    kernel: Some(0),
                    params: 0..0,
                    views: 0
                },
                BatchTask {
                    id: Some(8),
                    kernel: Some(2),
                    params: 0..3,
                    views: 1
                },
                BatchTask {
                    id: Some(9),
                    kernel: Some(1),
                    params: 3..4,
                    views: 0
                },
            ]
        );
    }

    #[test]
    fn bad_ids_and_kernels_are_refused_one_by_one() {
        let tasks = [
            -1.0,
            0.0,
            0.0,
            0.0,
            1.5,
            0.0,
            0.0,
            0.0,
            4294967296.0,
            1e9,
            0.0,
            0.0,
        ];
        let parsed = parse_batch(&tasks, 0, 0).unwrap();
        assert!(parsed.iter().all(|t| t.id.is_none()));
        assert_eq!(parsed[2].kernel, None);
        let nan = parse_batch(&[f64::NAN, f64::NAN, 0.0, 0.0], 0, 0).unwrap();
        assert_eq!((nan[0].id, nan[0].kernel), (None, None));
    }

    #[test]
    fn counts_that_do_not_add_up_refuse_the_batch() {
        assert!(
            parse_batch(&[0.0, 0.0, 0.0], 0, 0).is_err(),
            "not a whole record"
        );
        assert!(
            parse_batch(&[0.0, 0.0, 2.0, 0.0], 1, 0).is_err(),
            "more params than given"
        );
        assert!(
            parse_batch(&[0.0, 0.0, 0.0, 0.0], 1, 0).is_err(),
            "params left over"
        );
        assert!(
            parse_batch(&[0.0, 0.0, 0.0, 1.0], 0, 2).is_err(),
            "views left over"
        );
        assert!(parse_batch(&[0.0, 0.0, -1.0, 0.0], 0, 0).is_err());
        assert!(parse_batch(&[0.0, 0.0, f64::NAN, 0.0], 0, 0).is_err());
        assert!(parse_batch(&[0.0, 0.0, 0.5, 0.0], 1, 0).is_err());
        assert_eq!(parse_batch(&[], 0, 0).unwrap(), []);
    }
}
