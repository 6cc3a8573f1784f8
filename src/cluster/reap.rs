//! The one long-lived native thread that forks every worker and reaps it.
//!
//! `PR_SET_PDEATHSIG` is tied to the thread that forked, so workers must be forked by a thread
//! that lives as long as the process: this thread is started once per process and never
//! exits. It sleeps in `poll(2)` on an eventfd (new spawn requests) and on one pidfd per live
//! child. A readable pidfd means that child exited: it is reaped with `waitpid(pid)` for that
//! pid only (never `waitpid(-1)`, which would steal libuv's children) and its exit is pushed to
//! the owning cluster's [`Sink`], which wakes the JavaScript thread.
//!
//! Signals are sent through the pidfd under the same lock that reaping takes, so a pid that
//! has been reaped (and could be reused) is never signalled.

use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crossbeam::channel::{self, Sender};
use nix::errno::Errno;
use nix::sys::eventfd::{EfdFlags, EventFd};
use nix::sys::wait::{WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use crate::sys::poll::{pollfd, Poller};

use super::spawn::{self, Prepared, SpawnError};
use super::Sink;
use crate::sys::{pidfd, SysError};

/// How a worker ended, as reported to JavaScript.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExitEvent {
    pub(crate) pid: i32,
    /// Exit code, or -1 when a signal ended the process.
    pub(crate) code: i32,
    /// The signal number that ended the process, or 0.
    pub(crate) signal: i32,
}

struct Child {
    pidfd: OwnedFd,
    sink: Arc<Sink>,
}

/// A spawn handed to the thread; `keep_alive` holds the child's ends of the socketpairs and
/// pipes open until the fork is done (the parent closes them right after).
pub(crate) struct Request {
    pub(crate) prepared: Prepared,
    pub(crate) keep_alive: Vec<OwnedFd>,
    pub(crate) sink: Arc<Sink>,
    pub(crate) reply: Sender<Result<i32, SpawnError>>,
}

/// The process-wide spawner.
pub(crate) struct Spawner {
    requests: Mutex<Vec<Request>>,
    wake: EventFd,
    children: Mutex<HashMap<i32, Child>>,
}

impl std::fmt::Debug for Spawner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spawner")
            .field("children", &self.children().len())
            .finish()
    }
}

static SPAWNER: OnceLock<Result<Arc<Spawner>, String>> = OnceLock::new();

/// The spawner, started on first use.
pub(crate) fn spawner() -> Result<Arc<Spawner>, String> {
    SPAWNER
        .get_or_init(|| {
            let wake =
                EventFd::from_value_and_flags(0, EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)
                    .map_err(|e| format!("eventfd: {e}"))?;
            let spawner = Arc::new(Spawner {
                requests: Mutex::new(Vec::new()),
                wake,
                children: Mutex::new(HashMap::new()),
            });
            let thread_side = spawner.clone();
            std::thread::Builder::new()
                .name("native-parallel-spawner".into())
                .spawn(move || thread_side.run())
                .map_err(|e| format!("could not start the spawner thread: {e}"))?;
            Ok(spawner)
        })
        .clone()
}

impl Spawner {
    fn children(&self) -> MutexGuard<'_, HashMap<i32, Child>> {
        self.children.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forks and execs on the spawner thread and waits for the result (exec succeeded or
    /// failed). Returns the pid.
    pub(crate) fn spawn(
        &self,
        prepared: Prepared,
        keep_alive: Vec<OwnedFd>,
        sink: Arc<Sink>,
    ) -> Result<i32, SpawnError> {
        let (reply, answer) = channel::bounded(1);
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Request {
                prepared,
                keep_alive,
                sink,
                reply,
            });
        self.wake
            .write(1)
            .map_err(|e| SpawnError::Parent(SysError::new("eventfd", e)))?;
        answer
            .recv()
            .unwrap_or(Err(SpawnError::Parent(SysError::new(
                "spawner",
                Errno::EPIPE,
            ))))
    }

    /// Sends `signal` to a child that has not been reaped yet. Returns false when it is gone.
    pub(crate) fn kill(&self, pid: i32, signal: i32) -> Result<bool, SysError> {
        let children = self.children();
        let Some(child) = children.get(&pid) else {
            return Ok(false);
        };
        // The pidfd is open: we hold the lock that reaping takes before closing it.
        pidfd::send_signal(child.pidfd.as_fd(), signal)
    }

    /// Sends SIGKILL to every child of `sink` (its JavaScript environment is going away).
    pub(crate) fn kill_all(&self, sink: &Arc<Sink>) {
        let pids: Vec<i32> = self
            .children()
            .iter()
            .filter(|(_, c)| Arc::ptr_eq(&c.sink, sink))
            .map(|(pid, _)| *pid)
            .collect();
        for pid in pids {
            let _ = self.kill(pid, libc::SIGKILL);
        }
    }

    fn run(self: Arc<Self>) {
        // This thread must never end: PR_SET_PDEATHSIG would kill every child it forked. A
        // panic in one round is contained and the loop goes on.
        let mut poller = Poller::default();
        loop {
            let round =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.round(&mut poller)));
            if round.is_err() {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }

    /// One poll and whatever it found ready.
    fn round(&self, poller: &mut Poller) {
        let watched: Vec<(i32, i32)> = self
            .children()
            .iter()
            .map(|(pid, c)| (*pid, c.pidfd.as_raw_fd()))
            .collect();
        let mut fds = Vec::with_capacity(watched.len() + 1);
        fds.push(pollfd(self.wake.as_fd().as_raw_fd()));
        fds.extend(watched.iter().map(|&(_, fd)| pollfd(fd)));
        // The pidfds stay open while we poll: only this thread removes children (and so closes
        // their pidfds). A failed poll (not EINTR) comes back after a pause with every fd
        // marked ready, so this round serves requests and tries to reap every child (with
        // WNOHANG): spawning and reaping go on, a little late (see `sys::poll`).
        let _ = poller.wait(&mut fds);
        if fds[0].revents != 0 {
            self.serve_requests();
        }
        for (f, &(pid, _)) in fds[1..].iter().zip(&watched) {
            if f.revents != 0 {
                self.reap(pid);
            }
        }
    }

    fn serve_requests(&self) {
        let _ = self.wake.read();
        let batch = std::mem::take(&mut *self.requests.lock().unwrap_or_else(|e| e.into_inner()));
        for request in batch {
            let result = spawn::fork_exec(&request.prepared);
            // The child has its copies now (or failed); the parent's ends close here.
            drop(request.keep_alive);
            let result = result.and_then(|pid| {
                let raw = pid.as_raw();
                match pidfd::open(raw) {
                    Ok(pidfd) => {
                        self.children().insert(
                            raw,
                            Child {
                                pidfd,
                                sink: request.sink.clone(),
                            },
                        );
                        Ok(raw)
                    }
                    Err(e) => {
                        // Without a pidfd we could not reap it safely: end it now.
                        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
                        let _ = nix::sys::wait::waitpid(pid, None);
                        Err(SpawnError::Parent(e))
                    }
                }
            });
            let _ = request.reply.send(result);
        }
    }

    fn reap(&self, pid: i32) {
        let mut children = self.children();
        let status = match nix::sys::wait::waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => return,
            Ok(status) => status,
            // ECHILD: someone else reaped it (should not happen); report it as gone.
            Err(_) => WaitStatus::Exited(Pid::from_raw(pid), -1),
        };
        let Some(child) = children.remove(&pid) else {
            return;
        };
        drop(children);
        let event = match status {
            WaitStatus::Exited(_, code) => ExitEvent {
                pid,
                code,
                signal: 0,
            },
            WaitStatus::Signaled(_, sig, _) => ExitEvent {
                pid,
                code: -1,
                signal: sig as i32,
            },
            _ => ExitEvent {
                pid,
                code: -1,
                signal: 0,
            },
        };
        child.sink.push_exit(event);
        drop(child.pidfd);
    }
}
