//! ThreadPool: runs kernels on the project's own rayon pool and reports completions to JS.
//!
//! Flow: `submit` (JS thread) checks the kernel's arguments, registers a [`task::TaskCtl`] and
//! spawns a rayon job; the job runs the kernel under `catch_unwind` and pushes a completion on
//! a lock-free queue; the [`Channel`] wakes the JS thread once per burst, and the drain hands
//! the batch to the JavaScript facade, which settles the promises.
//! See `README.md` in this folder for the life of a task and the shutdown rules.

mod runners;
mod submit;
mod task;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam::queue::SegQueue;
use napi::CleanupEnvHook;
use napi::Env;
use napi_derive::napi;
use runners::Runners;

use crate::core::completion::{self, Batch, Channel, Source};
use crate::core::task::{Completion, THREAD_POOL_WIDTH};
use crate::kernels::{self, RawView};
use crate::napi_util::{guard, integer, throw, Arg, Callback, ErrorKind, MAX_SAFE_INTEGER};
use submit::{Refusal, SubmitFailure};
use task::{Queued, TaskTable};

/// How long an exiting Worker waits for running kernels to notice their cancel flag.
const TEARDOWN_WAIT: Duration = Duration::from_secs(30);

/// State shared by the JS thread and the pool threads.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Tasks waiting for a pool thread, in submission order, and the runners taking them.
    runners: Runners<Queued>,
    completions: SegQueue<Completion>,
    queued: AtomicUsize,
    running: AtomicUsize,
    busy_ns: AtomicU64,
    channel: Channel,
    /// Tasks submitted and not yet reported. Touched on the JS thread only; the mutex is
    /// uncontended and exists so `Shared` can be shared with pool threads.
    tasks: Mutex<TaskTable>,
}

impl Source for Shared {
    fn channel(&self) -> &Channel {
        &self.channel
    }

    /// Takes the completions pushed by pool threads and forgets their tasks; lets the event
    /// loop go once no task is left.
    fn drain(&self, env: Option<&Env>) -> Batch {
        let mut batch = Batch::with_capacity(THREAD_POOL_WIDTH, 0);
        let mut tasks = self.tasks();
        while let Some(done) = self.completions.pop() {
            tasks.remove(&done.id);
            done.push_to(&mut batch);
        }
        let idle = tasks.is_empty();
        drop(tasks);
        if let (Some(env), true) = (env, idle) {
            let _ = self.channel.set_referenced(env, false);
        }
        batch
    }
}

impl Shared {
    fn tasks(&self) -> MutexGuard<'_, TaskTable> {
        self.tasks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Cancels every task; returns the ids of those that had not started. Queued tasks are all
    /// dropped before any running one is flagged, so a thread freed by a cancelled kernel can
    /// never pick up a task that was queued when this was called.
    fn cancel_all(&self) -> Vec<u32> {
        let mut tasks = self.tasks();
        let mut dropped = Vec::new();
        tasks.retain(|id, ctl| {
            let keep = !ctl.try_drop();
            if !keep {
                dropped.push(*id);
            }
            keep
        });
        for ctl in tasks.values() {
            ctl.raise_flag();
        }
        self.queued.fetch_sub(dropped.len(), Ordering::AcqRel);
        dropped
    }
}

/// A kernel as JavaScript sees it: its name and the limits of its numeric parameters.
#[napi(object)]
#[derive(Debug)]
pub struct KernelInfo {
    /// The name `run` takes.
    pub name: String,
    /// The largest value of each numeric parameter, by name.
    pub limits: HashMap<String, f64>,
}

/// The native half of `ThreadPool` (the JS facade in `lib/thread-pool.js` is the public API).
#[napi]
pub struct NativePool {
    shared: Arc<Shared>,
    pool: Option<rayon::ThreadPool>,
    threads: usize,
    max_queue: f64,
    next_id: u32,
    created: Instant,
    cleanup: Option<CleanupEnvHook<Arc<Shared>>>,
}

impl std::fmt::Debug for NativePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativePool")
            .field("threads", &self.threads)
            .field("max_queue", &self.max_queue)
            .field("open", &self.pool.is_some())
            .finish()
    }
}

#[napi]
impl NativePool {
    /// `threads` pool threads (1 to 1024); `maxQueue` tasks may wait beyond those running (a
    /// whole number >= 0, or Infinity); `onComplete(batch)` receives completions: records of
    /// `TaskField`s up to `WaitMs`, and one message (or null) per record.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        threads: Arg<f64>,
        max_queue: Arg<f64>,
        on_complete: Arg<Callback>,
    ) -> napi::Result<Self> {
        guard(&env, || {
            let threads = integer(&env, "threads", threads.0, 1, 1024)? as usize;
            let max_queue = max_queue.0;
            if max_queue != f64::INFINITY {
                integer(&env, "maxQueue", max_queue, 0, MAX_SAFE_INTEGER)?;
            }
            quiet_panics_on_pool_threads();
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("native-parallel-{i}"))
                .build()
                .map_err(|e| {
                    throw(
                        &env,
                        ErrorKind::Error,
                        "ERR_NATIVE_POOL",
                        &format!("could not start threads: {e}"),
                    )
                })?;
            let shared = Arc::new(Shared {
                runners: Runners::new(threads),
                completions: SegQueue::new(),
                queued: AtomicUsize::new(0),
                running: AtomicUsize::new(0),
                busy_ns: AtomicU64::new(0),
                channel: Channel::new(),
                tasks: Mutex::new(TaskTable::default()),
            });
            completion::start(&shared, &env, "native-parallel:ThreadPool", &on_complete.0)?;
            // A Worker that exits mid-task tears its env down: stop and wait for our kernels
            // first, because the memory they write belongs to that env.
            let cleanup = env.add_env_cleanup_hook(shared.clone(), |shared| {
                shared.channel.mark_closed();
                shared.cancel_all();
                let deadline = Instant::now() + TEARDOWN_WAIT;
                while shared.running.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_micros(200));
                }
            })?;
            Ok(Self {
                shared,
                pool: Some(pool),
                threads,
                max_queue,
                next_id: 0,
                created: Instant::now(),
                cleanup: Some(cleanup),
            })
        })
    }

    /// Names of all kernels, in registry order (the index is the kernel id for `submit`).
    #[napi]
    pub fn kernel_names(env: Env) -> napi::Result<Vec<&'static str>> {
        guard(&env, || {
            Ok(kernels::REGISTRY.iter().map(|k| k.name).collect())
        })
    }

    /// Every kernel in registry order, with the largest value of each numeric parameter (the
    /// facade's argument checks read them from here).
    #[napi]
    pub fn kernels(env: Env) -> napi::Result<Vec<KernelInfo>> {
        guard(&env, || {
            Ok(kernels::REGISTRY
                .iter()
                .map(|k| KernelInfo {
                    name: k.name.to_owned(),
                    limits: k
                        .limits
                        .iter()
                        .map(|(name, max)| ((*name).to_owned(), *max))
                        .collect(),
                })
                .collect())
        })
    }

    /// Queues a kernel run; returns its task id. Throws ERR_QUEUE_FULL, ERR_POOL_DESTROYED,
    /// ERR_OUT_OF_RANGE (no such kernel) or ERR_INVALID_ARG_VALUE (arguments the kernel
    /// refuses).
    #[napi]
    pub fn submit(
        &mut self,
        env: Env,
        kernel: Arg<f64>,
        params: Arg<&[f64]>,
        views: Arg<Vec<RawView>>,
    ) -> napi::Result<u32> {
        guard(&env, || {
            let kernel = integer(
                &env,
                "kernel",
                kernel.0,
                0,
                kernels::REGISTRY.len() as i64 - 1,
            )?;
            let id = self.next_id;
            self.admit(&env, id, kernel as usize, params.0, views.0)
                .map_err(|r| throw(&env, r.kind, r.code, &r.message))?;
            self.next_id = self.next_id.wrapping_add(1);
            self.start_runners();
            Ok(id)
        })
    }

    /// Queues a batch of tasks under ids the caller chooses (the facade's path: one call per
    /// microtask's worth of `run()`s). `tasks` holds `[id, kernel, params, views]` per task,
    /// the last two being how many of `params` and `views` are that task's, in order. Returns
    /// the tasks refused (the others are queued); throws ERR_INVALID_ARG_VALUE, queueing
    /// nothing, when the counts do not add up.
    #[napi]
    pub fn submit_batch(
        &mut self,
        env: Env,
        tasks: Arg<&[f64]>,
        params: Arg<&[f64]>,
        views: Arg<Vec<RawView>>,
    ) -> napi::Result<Vec<SubmitFailure>> {
        guard(&env, || {
            let (tasks, params, views) = (tasks.0, params.0, views.0);
            let batch = submit::parse_batch(tasks, params.len(), views.len())
                .map_err(|m| throw(&env, ErrorKind::Type, "ERR_INVALID_ARG_VALUE", &m))?;
            let mut failures = Vec::new();
            let mut views = views.into_iter();
            for (index, task) in batch.into_iter().enumerate() {
                let task_views: Vec<RawView> = views.by_ref().take(task.views).collect();
                let admitted = match (task.id, task.kernel) {
                    (Some(id), Some(kernel)) => {
                        self.admit(&env, id, kernel, &params[task.params], task_views)
                    }
                    (None, _) => Err(Refusal {
                        kind: ErrorKind::Range,
                        code: "ERR_OUT_OF_RANGE",
                        message: "a task id must be a whole number from 0 to 2^32 - 1".into(),
                    }),
                    (_, None) => Err(Refusal {
                        kind: ErrorKind::Range,
                        code: "ERR_OUT_OF_RANGE",
                        message: "no kernel has that number".into(),
                    }),
                };
                if let Err(refusal) = admitted {
                    failures.push(SubmitFailure {
                        index: index as u32,
                        code: refusal.code.to_owned(),
                        message: refusal.message,
                    });
                }
            }
            self.start_runners();
            Ok(failures)
        })
    }

    /// Cancels a task. Returns true when it had not started (it will never be reported);
    /// false when it is running (it will be reported, cancelled or finished) or unknown.
    #[napi]
    pub fn cancel(&self, env: Env, id: Arg<f64>) -> napi::Result<bool> {
        guard(&env, || {
            let id = integer(&env, "id", id.0, 0, u32::MAX.into())? as u32;
            let mut tasks = self.shared.tasks();
            let Some(ctl) = tasks.get(&id) else {
                return Ok(false);
            };
            if !ctl.cancel() {
                return Ok(false);
            }
            tasks.remove(&id);
            self.shared.queued.fetch_sub(1, Ordering::AcqRel);
            if tasks.is_empty() {
                self.shared.channel.set_referenced(&env, false)?;
            }
            Ok(true)
        })
    }

    /// Cancels everything; returns the ids of tasks that had not started. Running tasks are
    /// flagged and reported when they stop.
    #[napi]
    pub fn cancel_all(&self, env: Env) -> napi::Result<Vec<u32>> {
        guard(&env, || {
            let dropped = self.shared.cancel_all();
            if self.shared.tasks().is_empty() {
                self.shared.channel.set_referenced(&env, false)?;
            }
            Ok(dropped)
        })
    }

    /// `[queued, running, busyMs, aliveMs]`.
    #[napi]
    pub fn counters(&self, env: Env) -> napi::Result<Vec<f64>> {
        guard(&env, || {
            Ok(vec![
                self.shared.queued.load(Ordering::Acquire) as f64,
                self.shared.running.load(Ordering::Acquire) as f64,
                self.shared.busy_ns.load(Ordering::Relaxed) as f64 / 1e6,
                self.created.elapsed().as_secs_f64() * 1e3,
            ])
        })
    }

    /// Stops the threads and releases the completion callback. Call once no task is pending.
    #[napi]
    pub fn close(&mut self, env: Env) -> napi::Result<()> {
        guard(&env, || {
            self.shared.cancel_all();
            self.pool.take();
            self.shared.channel.release();
            if let Some(hook) = self.cleanup.take() {
                env.remove_env_cleanup_hook(hook)?;
            }
            Ok(())
        })
    }
}

/// A kernel panic becomes a rejected promise carrying the panic message, so the default hook's
/// report on stderr is noise there. Pool threads stay quiet unless NATIVE_PARALLEL_TRACE_PANICS
/// is set; every other thread keeps the previous hook.
fn quiet_panics_on_pool_threads() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("NATIVE_PARALLEL_TRACE_PANICS").is_some() {
            return;
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let on_pool = std::thread::current()
                .name()
                .is_some_and(|name| name.starts_with("native-parallel-"));
            if !on_pool {
                previous(info);
            }
        }));
    });
}
