//! ProcessPool: Rust-only worker processes made with `fork()`, working on SharedMemory.
//!
//! - [`fork`]: one child: socketpair, control page (cancel flag, part started), fork, pidfd.
//! - [`child`]: what a child runs, and the rules it keeps (see `docs/fork.md`).
//! - [`protocol`]: fixed-size messages over the socketpair; [`socket`] sends and receives them
//!   (memfds ride along).
//! - [`kernels`]: how each kernel is split into parts, and how a child runs a part.
//! - [`state`]: the books as a state machine without I/O: children (by slot id), tasks and the
//!   part queue; each event returns the actions to perform (which part goes to which child).
//! - [`perform`]: the books and the children behind the pool's mutex; performs the actions.
//! - [`shared`]: what the JavaScript thread, the supervisor and the completion channel share.
//! - [`mailbox`]: parts and results handed over in each child's control page, with futex
//!   wake-ups (the socket carries only segments' memfds, a panic's report, one-shot results).
//! - [`results`]: the thread that reads the mailboxes when the pool's doorbell rings.
//! - [`supervisor`]: the thread that reaps exits (and reads one-shot results) and wakes
//!   JavaScript.
//!
//! Two ways to run a task (see `README.md` here): when every view lies in SharedMemory, its
//! parts go to the persistent children; otherwise one child per part is forked on the spot and
//! reads the parent's copy-on-write snapshot of its inputs.
#![cfg(target_os = "linux")]

mod child;
mod fork;
mod kernels;
mod mailbox;
mod perform;
mod protocol;
mod release;
mod results;
mod shared;
mod socket;
mod state;
mod supervisor;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam::queue::SegQueue;
use napi::{CleanupEnvHook, Env};
use napi_derive::napi;
use nix::sys::eventfd::{EfdFlags, EventFd};

use crate::core::completion::{self, Batch, Channel};
use crate::core::task::{batch_of, Completion, Outcome, PROCESS_POOL_WIDTH};
use crate::kernels::RawView;
use crate::napi_util::{guard, integer, throw, Arg, Callback, ErrorKind, MAX_SAFE_INTEGER};
use crate::shm::Segment;
use crate::sys::SysError;
use fork::Kind;
use kernels::PView;
use perform::{After, Locked};
use protocol::PartSpec;
use shared::Shared;
use state::{State, Task};

/// The native half of `ProcessPool` (the public API is `lib/process-pool.js`, which validates
/// every argument first).
#[napi]
pub struct NativeProcessPool {
    shared: Arc<Shared>,
    next_id: u32,
    closed: bool,
    cleanup: Option<CleanupEnvHook<Arc<Shared>>>,
}

impl std::fmt::Debug for NativeProcessPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeProcessPool")
            .field("processes", &self.shared.processes)
            .field("closed", &self.closed)
            .finish()
    }
}

#[napi]
impl NativeProcessPool {
    /// Forks `processes` persistent children. `onComplete(numbers, messages)` receives
    /// completions (every `TaskField`, and one message or null per record); the pool keeps the event loop alive only while a
    /// task is in flight.
    #[napi(constructor)]
    pub fn new(env: Env, processes: Arg<f64>, on_complete: Arg<Callback>) -> napi::Result<Self> {
        guard(&env, || {
            let processes = integer(&env, "processes", processes.0, 1, 1024)? as usize;
            let wake =
                EventFd::from_value_and_flags(0, EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)
                    .map_err(|e| SysError::new("eventfd", e).throw(&env, "", ""))?;
            // SAFETY: a `Doorbell` is atomics only, all zero valid (nothing rung, no sleeper).
            let doorbell = unsafe { fork::SharedPage::new() }
                .map_err(|e| SysError::new("mmap", e).throw(&env, "", ""))?;
            let shared = Arc::new(Shared {
                state: Mutex::new(Locked::new(State::new(processes))),
                completions: SegQueue::new(),
                channel: Channel::new(),
                wake: Mutex::new(Some(wake)),
                stopping: AtomicBool::new(false),
                respawn: AtomicUsize::new(0),
                in_flight: AtomicUsize::new(0),
                processes,
                supervisor: Mutex::new(None),
                doorbell,
                results: Mutex::new(None),
            });
            if let Err(e) = shared.top_up() {
                shared.shutdown();
                return Err(e.throw(&env, "", ""));
            }
            // The supervisor (exits, one-shot results) and the result thread (mailboxes).
            let started = start_thread(&shared, "native-parallel-process-pool", supervisor::run)
                .map(|h| *shared.supervisor.lock().unwrap_or_else(|e| e.into_inner()) = Some(h))
                .map_err(|e| ("supervisor", e))
                .and_then(|()| {
                    start_thread(&shared, "native-parallel-process-results", results::run)
                        .map(|h| {
                            *shared.results.lock().unwrap_or_else(|e| e.into_inner()) = Some(h)
                        })
                        .map_err(|e| ("result", e))
                });
            if let Err((what, e)) = started {
                shared.shutdown();
                return Err(throw(
                    &env,
                    ErrorKind::Error,
                    "ERR_NATIVE_POOL",
                    &format!("could not start the {what} thread: {e}"),
                ));
            }
            let started =
                completion::start(&shared, &env, "native-parallel:ProcessPool", &on_complete.0);
            if let Err(e) = started {
                shared.shutdown();
                return Err(e);
            }
            // The env is going away (a Worker ends, or the process exits): end our children, whose
            // outputs belong to that env.
            let cleanup = env.add_env_cleanup_hook(shared.clone(), |shared| {
                shared.channel.mark_closed();
                shared.shutdown();
            })?;
            Ok(Self {
                shared,
                next_id: 0,
                closed: false,
                cleanup: Some(cleanup),
            })
        })
    }

    /// Names of the kernels the process pool runs, in table order (the index is the kernel id
    /// for `submit`; names starting with `__` are internal).
    #[napi]
    pub fn kernel_names(env: Env) -> napi::Result<Vec<&'static str>> {
        guard(&env, || Ok(kernels::names()))
    }

    /// Pids of the persistent children.
    #[napi]
    pub fn pids(&self, env: Env) -> napi::Result<Vec<i32>> {
        guard(&env, || Ok(self.shared.lock().persistent_pids()))
    }

    /// Starts a task; returns its id. `segments[i]` is the SharedMemory id of `views[i]`, or 0
    /// for memory that is not in SharedMemory (then the task forks a child per part that reads
    /// the parent's copy-on-write snapshot). Throws ERR_POOL_DESTROYED, ERR_INVALID_ARG_VALUE
    /// (arguments the kernel refuses, outputs outside SharedMemory), ERR_INVALID_STATE (a
    /// closed SharedMemory) or an errno code when a child cannot be forked.
    #[napi]
    pub fn submit(
        &mut self,
        env: Env,
        kernel: Arg<f64>,
        params: Arg<&[f64]>,
        views: Arg<Vec<RawView>>,
        segments: Arg<&[f64]>,
    ) -> napi::Result<u32> {
        guard(&env, || {
            let (params, views, segments) = (params.0, views.0, segments.0);
            let kernel = integer(&env, "kernel", kernel.0, 0, kernels::count() as i64 - 1)? as u32;
            if self.closed {
                return Err(throw(
                    &env,
                    ErrorKind::Error,
                    "ERR_POOL_DESTROYED",
                    "the pool has been destroyed",
                ));
            }
            let invalid = |m: &str| throw(&env, ErrorKind::Type, "ERR_INVALID_ARG_VALUE", m);
            let k = kernels::kernel(kernel as usize)
                .ok_or_else(|| invalid(&format!("unknown kernel #{kernel}")))?;
            crate::kernels::check_counts(k.name, params.len(), views.len())
                .map_err(|m| invalid(&m))?;
            if segments.len() != views.len() {
                return Err(invalid("one segment id per view is required"));
            }
            let pviews = resolve_views(&env, &views, segments)?;
            if let Some(checked) = k.kernel {
                checked.prepare(params, views).map_err(|m| invalid(&m))?;
            }
            for &o in k.outputs {
                if pviews.get(o).is_none_or(|v| v.segment.is_none()) {
                    return Err(invalid(&format!(
                        "{}: the output must be a view over a SharedMemory (child processes cannot write to other memory)",
                        k.name
                    )));
                }
            }
            let one_shot = pviews.iter().any(|v| v.segment.is_none());
            let plan = (k.plan)(params, &pviews, self.shared.processes);
            let parts: Vec<PartSpec> = plan
                .parts
                .iter()
                .map(|(p, vs)| {
                    let specs: Vec<_> = vs.iter().map(|v| v.spec(one_shot)).collect();
                    PartSpec::new(kernel as usize, p, &specs)
                })
                .collect::<Result<_, _>>()
                .map_err(|m| invalid(&format!("{}: {m}", k.name)))?;
            let mut held: Vec<Arc<Segment>> = Vec::new();
            for (segment, _) in pviews.iter().filter_map(|v| v.segment.as_ref()) {
                if !held.iter().any(|h| h.id() == segment.id()) {
                    held.push(segment.clone());
                }
            }
            let id = self.next_id;
            let task = Task::new(parts.clone(), held, plan.finish, one_shot);
            // Hold the event loop before any child can answer: a completion queued while the
            // channel is unreferenced would not keep the process alive until it is delivered.
            self.shared.channel.set_referenced(&env, true)?;
            if one_shot {
                let mut forked = Vec::with_capacity(parts.len());
                for part in &parts {
                    match fork::spawn(Kind::OneShot { seq: 0, part }, self.shared.doorbell.get()) {
                        Ok(child) => forked.push(child),
                        Err(e) => {
                            for child in &forked {
                                child.kill();
                            }
                            for child in &forked {
                                child.reap(true);
                            }
                            self.release_loop(&env);
                            return Err(e.throw(&env, "", ""));
                        }
                    }
                }
                self.shared.in_flight.fetch_add(1, Ordering::AcqRel);
                let mut after = After::default();
                self.shared
                    .lock()
                    .add_one_shot(id, task, forked, &mut after);
                self.shared.finish(after);
                // Their fds join the supervisor's poll set.
                self.shared.poke();
            } else {
                if self.shared.lock().state.persistent() < self.shared.processes {
                    // Children died and were not replaced yet (or could not be): try now.
                    if let Err(e) = self.shared.top_up() {
                        if self.shared.lock().state.persistent() == 0 {
                            self.release_loop(&env);
                            return Err(e.throw(&env, "", ""));
                        }
                    }
                }
                self.shared.in_flight.fetch_add(1, Ordering::AcqRel);
                self.perform(|state| state.submit(id, task));
            }
            self.next_id = self.next_id.wrapping_add(1);
            self.release_loop(&env);
            Ok(id)
        })
    }

    /// Cancels a task: queued parts are dropped, running ones stop at their next check. The
    /// task is always reported (cancelled, or finished if it ended first).
    #[napi]
    pub fn cancel(&self, env: Env, id: Arg<f64>) -> napi::Result<()> {
        guard(&env, || {
            let id = integer(&env, "id", id.0, 0, u32::MAX.into())? as u32;
            self.perform(|state| state.cancel(id));
            self.release_loop(&env);
            Ok(())
        })
    }

    /// A SharedMemory was closed or collected: children unmap it.
    #[napi]
    pub fn forget(&self, env: Env, segment: Arg<f64>) -> napi::Result<()> {
        guard(&env, || {
            let segment = integer(&env, "segment", segment.0, 0, MAX_SAFE_INTEGER)? as u64;
            self.perform(|state| state.forget(segment));
            Ok(())
        })
    }

    /// Kills and reaps every child and stops the supervisor. Returns the completions not yet
    /// delivered, with every unfinished task reported as destroyed.
    #[napi]
    pub fn close(&mut self, env: Env) -> napi::Result<Batch> {
        guard(&env, || {
            if self.closed {
                return Ok(batch_of(PROCESS_POOL_WIDTH, Vec::new()));
            }
            self.closed = true;
            let unfinished = self.shared.shutdown();
            let mut batch = Vec::new();
            while let Some(c) = self.shared.completions.pop() {
                batch.push(c);
            }
            batch.extend(
                unfinished
                    .into_iter()
                    .map(|id| Completion::new(id, Outcome::Destroyed)),
            );
            self.shared.channel.release();
            if let Some(hook) = self.cleanup.take() {
                env.remove_env_cleanup_hook(hook)?;
            }
            Ok(batch_of(PROCESS_POOL_WIDTH, batch))
        })
    }
}

impl NativeProcessPool {
    /// Books an event under the lock, performs its actions there, and what is left after it.
    fn perform(&self, event: impl FnOnce(&mut State) -> Vec<state::Action>) {
        let mut after = After::default();
        {
            let mut locked = self.shared.lock();
            let actions = event(&mut locked.state);
            locked.perform(actions, &mut after);
        }
        self.shared.finish(after);
    }

    /// Lets the event loop go when no task is in flight (a submit that failed, say).
    fn release_loop(&self, env: &Env) {
        if self.shared.in_flight.load(Ordering::Acquire) == 0 {
            let _ = self.shared.channel.set_referenced(env, false);
        }
    }
}

impl Drop for NativeProcessPool {
    fn drop(&mut self) {
        if !self.closed {
            self.shared.shutdown();
            self.shared.channel.release();
        }
    }
}

/// Finds the SharedMemory segment of each view (id 0: ordinary memory) and checks the view
/// lies inside it.
fn resolve_views(env: &Env, views: &[RawView], segments: &[f64]) -> napi::Result<Vec<PView>> {
    views
        .iter()
        .zip(segments)
        .map(|(v, &sid)| {
            let bytes = v.len() * v.kind().size();
            let sid = integer(env, "segment id", sid, 0, MAX_SAFE_INTEGER)? as u64;
            let segment = if sid == 0 {
                None
            } else {
                let segment = Segment::find(sid).ok_or_else(|| {
                    throw(
                        env,
                        ErrorKind::Error,
                        "ERR_INVALID_STATE",
                        "a view's SharedMemory is closed",
                    )
                })?;
                // An empty view has nothing to map (and napi may report no address for it).
                let offset = if bytes == 0 {
                    Some(0)
                } else {
                    segment.offset_of(v.addr(), bytes)
                };
                let offset = offset.ok_or_else(|| {
                    throw(
                        env,
                        ErrorKind::Type,
                        "ERR_INVALID_ARG_VALUE",
                        "a view does not lie inside its SharedMemory",
                    )
                })?;
                Some((segment, offset))
            };
            Ok(PView {
                addr: v.addr(),
                len: v.len(),
                kind: v.kind(),
                segment,
            })
        })
        .collect()
}

/// Starts one of the pool's threads running `run` on the shared state.
fn start_thread(
    shared: &Arc<Shared>,
    name: &str,
    run: fn(&Shared),
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let for_thread = shared.clone();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || run(&for_thread))
}
