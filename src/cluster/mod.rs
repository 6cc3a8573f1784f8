//! cluster: Node worker processes forked, reaped and given sockets from Rust.
//!
//! - [`spawn`]: fork + exec of one worker with exactly the fds it needs.
//! - [`reap`]: the long-lived spawner thread (fork, pidfd per child, per-pid reaping).
//! - [`sockets`]: SO_REUSEPORT / shared listening sockets and fd passing.
//! - [`frame`]: IPC frame headers checked and located (`NativeCluster.scanFrames`).
//!
//! Writing IPC frames, supervision, balancing policy and reload live in the JavaScript facade
//! (`lib/cluster/`): the native side only does what JavaScript cannot. See `README.md` here.

mod fds;
mod frame;
mod reap;
mod sockets;
mod spawn;

use std::net::IpAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crossbeam::queue::SegQueue;
use napi::{CleanupEnvHook, Env};
use napi_derive::napi;
use nix::fcntl::OFlag;

use crate::core::completion::{self, Batch, Channel, Source};
use crate::napi_util::{guard, integer, throw, Arg, Callback, ErrorKind};
use crate::shm::segment;
use crate::sys::SysError;
use reap::{ExitEvent, Spawner};
use spawn::{FdMove, Prepared, SpawnSpec, CONTROL_FD, INHERIT_FD_BASE, IPC_FD, MAX_INHERIT};

/// The largest signal number (`SIGRTMAX` on Linux).
const MAX_SIGNAL: i64 = 64;

/// Per-cluster state shared with the spawner thread: exits waiting for the JS thread.
#[derive(Debug)]
pub(crate) struct Sink {
    exits: SegQueue<ExitEvent>,
    channel: Channel,
    /// Children spawned and not yet reported (JS thread only; atomic so `Sink` is `Sync`).
    live: AtomicU32,
}

impl Source for Sink {
    fn channel(&self) -> &Channel {
        &self.channel
    }

    /// Takes the reaped children as `[pid, code, signal]` records; lets the event loop go once
    /// no spawned child is left.
    fn drain(&self, env: Option<&Env>) -> Batch {
        let mut batch = Batch::with_capacity(3, 0);
        while let Some(exit) = self.exits.pop() {
            batch.push(&[
                f64::from(exit.pid),
                f64::from(exit.code),
                f64::from(exit.signal),
            ]);
        }
        let reaped = (batch.numbers.len() / 3) as u32;
        if reaped == 0 {
            return batch;
        }
        let left = self
            .live
            .fetch_sub(reaped, Ordering::AcqRel)
            .saturating_sub(reaped);
        if let (Some(env), 0) = (env, left) {
            let _ = self.channel.set_referenced(env, false);
        }
        batch
    }
}

impl Sink {
    /// Called by the spawner thread when a child of this cluster was reaped.
    pub(crate) fn push_exit(&self, event: ExitEvent) {
        self.exits.push(event);
        self.channel.wake();
    }
}

/// What to run: `file` with `args` (argv[1..]), `env` as `KEY=value` strings, in `cwd`.
#[napi(object)]
#[derive(Debug)]
pub struct SpawnOptions {
    /// Absolute path of the program (the facade passes `process.execPath`).
    pub file: String,
    /// argv[1..].
    pub args: Vec<String>,
    /// The whole environment, `KEY=value`.
    pub env: Vec<String>,
    /// Working directory (default: the primary's).
    pub cwd: Option<String>,
    /// Pipe stdout/stderr to the primary and give the child /dev/null as stdin.
    pub silent: bool,
    /// Open fds of the primary (a SharedMemory's memfd, say) the child receives as fds 5, 6, …
    /// in this order; at most 32. The primary keeps its own.
    pub inherit: Option<Vec<f64>>,
}

/// A started worker: its pid and the primary's ends of its channels (owned by the caller).
#[napi(object)]
#[derive(Debug)]
pub struct SpawnedWorker {
    /// Process id.
    pub pid: i32,
    /// The primary's end of the IPC socketpair (the child has fd 3).
    pub ipc_fd: i32,
    /// The primary's end of the control socketpair for fd passing (the child has fd 4).
    pub control_fd: i32,
    /// Read end of the child's stdout when `silent`.
    pub stdout_fd: Option<i32>,
    /// Read end of the child's stderr when `silent`.
    pub stderr_fd: Option<i32>,
}

/// The native half of `cluster` in the primary (the public API is `lib/cluster/`).
#[napi]
pub struct NativeCluster {
    sink: Arc<Sink>,
    spawner: Arc<Spawner>,
    cleanup: Option<CleanupEnvHook<Arc<Sink>>>,
}

impl std::fmt::Debug for NativeCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeCluster")
            .field("live", &self.sink.live.load(Ordering::Relaxed))
            .finish()
    }
}

#[napi]
impl NativeCluster {
    /// `onExit(batch)` receives reaped children: `batch.numbers` holds `[pid, code, signal]`
    /// records (code -1 when a signal ended the process; signal 0 when none did). The
    /// callback keeps the event loop alive only while a spawned child is still running.
    #[napi(constructor)]
    pub fn new(env: Env, on_exit: Arg<Callback>) -> napi::Result<Self> {
        guard(&env, || {
            let spawner = reap::spawner()
                .map_err(|m| throw(&env, ErrorKind::Error, "ERR_CLUSTER_SPAWNER", &m))?;
            let sink = Arc::new(Sink {
                exits: SegQueue::new(),
                channel: Channel::new(),
                live: AtomicU32::new(0),
            });
            completion::start(&sink, &env, "native-parallel:cluster", &on_exit.0)?;
            // The env is going away (a Worker thread ends, or the process exits): nothing will
            // supervise our children any more, so end them.
            let for_hook = spawner.clone();
            let cleanup = env.add_env_cleanup_hook(sink.clone(), move |sink| {
                sink.channel.mark_closed();
                for_hook.kill_all(&sink);
            })?;
            Ok(Self {
                sink,
                spawner,
                cleanup: Some(cleanup),
            })
        })
    }

    /// Forks and execs a worker. Throws with the errno name as `code` (and `syscall` in the
    /// message) when the process could not be started.
    #[napi]
    pub fn spawn(&mut self, env: Env, options: Arg<SpawnOptions>) -> napi::Result<SpawnedWorker> {
        guard(&env, || {
            let options = options.0;
            let fail = |e: &dyn std::fmt::Display, code: &str| {
                throw(&env, ErrorKind::Error, code, &format!("spawn failed: {e}"))
            };
            let sock = |e: SysError| e.throw(&env, "spawn failed: ", "");
            if self.cleanup.is_none() {
                return Err(throw(
                    &env,
                    ErrorKind::Error,
                    "ERR_INVALID_STATE",
                    "the cluster is closed",
                ));
            }
            let (ipc_parent, ipc_child) = sockets::ipc_pair().map_err(sock)?;
            let (ctl_parent, ctl_child) = sockets::control_pair().map_err(sock)?;
            let mut moves = vec![
                FdMove {
                    from: ipc_child.as_raw_fd(),
                    to: IPC_FD,
                },
                FdMove {
                    from: ctl_child.as_raw_fd(),
                    to: CONTROL_FD,
                },
            ];
            let mut keep_alive = vec![ipc_child, ctl_child];
            let inherit = options.inherit.unwrap_or_default();
            if inherit.len() > MAX_INHERIT {
                return Err(throw(
                    &env,
                    ErrorKind::Range,
                    "ERR_OUT_OF_RANGE",
                    &format!("at most {MAX_INHERIT} fds can be inherited"),
                ));
            }
            for (n, &fd) in (INHERIT_FD_BASE..).zip(&inherit) {
                let fd = integer(&env, "inherit", fd, 0, i32::MAX.into())? as i32;
                // Our own close-on-exec copy: the fd stays valid until the child has it, and a bad
                // fd fails here (EBADF) rather than in the child.
                let copy = segment::dup_cloexec(fd).map_err(|e| {
                    SysError::new("fcntl", e).throw(&env, "spawn failed: ", &format!(" (fd {fd})"))
                })?;
                moves.push(FdMove {
                    from: copy.as_raw_fd(),
                    to: n,
                });
                keep_alive.push(copy);
            }
            let mut outputs: Vec<OwnedFd> = Vec::new();
            if options.silent {
                for to in [1, 2] {
                    let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC)
                        .map_err(|e| SysError::new("pipe2", e).throw(&env, "spawn failed: ", ""))?;
                    moves.push(FdMove {
                        from: w.as_raw_fd(),
                        to,
                    });
                    keep_alive.push(w);
                    outputs.push(r);
                }
            }
            let spec = SpawnSpec {
                file: options.file,
                args: options.args,
                env: options.env,
                cwd: options.cwd,
                silent: options.silent,
            };
            let prepared = Prepared::new(&spec, moves).map_err(|e| fail(&e, &e.code()))?;
            let pid = self
                .spawner
                .spawn(prepared, keep_alive, self.sink.clone())
                .map_err(|e| fail(&e, &e.code()))?;
            if self.sink.live.fetch_add(1, Ordering::AcqRel) == 0 {
                self.sink.channel.set_referenced(&env, true)?;
            }
            let mut outputs = outputs.into_iter().map(fds::hand_out);
            Ok(SpawnedWorker {
                pid,
                ipc_fd: fds::hand_out(ipc_parent),
                control_fd: fds::hand_out(ctl_parent),
                stdout_fd: outputs.next(),
                stderr_fd: outputs.next(),
            })
        })
    }

    /// Sends a signal (by number) to a child that has not been reaped. Returns false when
    /// the child is already gone; never signals a reaped (possibly reused) pid.
    #[napi]
    pub fn kill(&self, env: Env, pid: Arg<f64>, signal: Arg<f64>) -> napi::Result<bool> {
        guard(&env, || {
            let pid = integer(&env, "pid", pid.0, 1, i32::MAX.into())? as i32;
            let signal = integer(&env, "signal", signal.0, 0, MAX_SIGNAL)? as i32;
            self.spawner
                .kill(pid, signal)
                .map_err(|e| SysError::new("kill", e.errno).throw(&env, "", ""))
        })
    }

    /// Makes a TCP socket on `host` (an IP address) and `port`: `kind` is `'reuseport'`
    /// (SO_REUSEPORT, listening), `'reservation'` (SO_REUSEPORT, bound only: holds the port) or
    /// `'shared'` (listening, one for all workers). `ipv6_only` turns off dual-stack on an IPv6
    /// address (Node's `ipv6Only`). Returns `[fd, port]`; the caller owns the fd.
    #[napi]
    pub fn bind(
        env: Env,
        host: Arg<String>,
        port: Arg<f64>,
        backlog: Arg<f64>,
        kind: Arg<String>,
        ipv6_only: Arg<Option<bool>>,
    ) -> napi::Result<Vec<i32>> {
        guard(&env, || {
            let (host, kind) = (host.0, kind.0);
            let port = integer(&env, "port", port.0, 0, 65535)? as u16;
            let backlog = integer(&env, "backlog", backlog.0, i32::MIN.into(), i32::MAX.into())?;
            let ip = parse_ip(&env, &host)?;
            let kind = match kind.as_str() {
                "reuseport" => sockets::Kind::ReusePort,
                "reservation" => sockets::Kind::Reservation,
                "shared" => sockets::Kind::Shared,
                _ => {
                    return Err(throw(
                        &env,
                        ErrorKind::Type,
                        "ERR_INVALID_ARG_VALUE",
                        "kind must be 'reuseport', 'reservation' or 'shared'",
                    ))
                }
            };
            let ipv6_only = ipv6_only.0.unwrap_or(false);
            let bound = sockets::bind(ip, port, (backlog as i32).max(1), kind, ipv6_only)
                .map_err(|e| e.throw(&env, "", &format!(" {host}:{port}")))?;
            fds::record(bound.fd);
            Ok(vec![bound.fd, i32::from(bound.port)])
        })
    }

    /// Sends a copy of `fd` over a control socket, tagged with `token`. Never blocks.
    #[napi]
    pub fn send_fd(env: Env, control: Arg<f64>, fd: Arg<f64>, token: Arg<f64>) -> napi::Result<()> {
        guard(&env, || {
            let control = integer(&env, "control", control.0, 0, i32::MAX.into())? as i32;
            let fd = integer(&env, "fd", fd.0, 0, i32::MAX.into())? as i32;
            let token = integer(&env, "token", token.0, 0, u32::MAX.into())? as u32;
            sockets::send_fd(control, fd, token).map_err(|e| e.throw(&env, "", ""))
        })
    }

    /// Receives one fd from a control socket: `[fd, token]`. Never blocks (throws EAGAIN when
    /// nothing is waiting).
    #[napi]
    pub fn recv_fd(env: Env, control: Arg<f64>) -> napi::Result<Vec<i64>> {
        guard(&env, || {
            let control = integer(&env, "control", control.0, 0, i32::MAX.into())? as i32;
            let (fd, token) = sockets::recv_fd(control).map_err(|e| e.throw(&env, "", ""))?;
            fds::record(fd);
            Ok(vec![i64::from(fd), i64::from(token)])
        })
    }

    /// Closes an fd that native code handed to JavaScript (`spawn`, `bind`, `recvFd`) and
    /// JavaScript did not give to libuv. Any other fd (stdout, one of libuv's, one closed
    /// already) is refused with ERR_INVALID_ARG_VALUE and left open.
    #[napi]
    pub fn close_fd(env: Env, fd: Arg<f64>) -> napi::Result<()> {
        guard(&env, || {
            let fd = integer(&env, "fd", fd.0, 0, i32::MAX.into())? as i32;
            fds::close(fd).map_err(|_| {
                throw(
                    &env,
                    ErrorKind::Type,
                    "ERR_INVALID_ARG_VALUE",
                    &format!("fd {fd} is not one native-parallel handed out (or it was closed already); it was left open"),
                )
            })
        })
    }

    /// Marks an fd close-on-exec.
    #[napi]
    pub fn set_cloexec(env: Env, fd: Arg<f64>) -> napi::Result<()> {
        guard(&env, || {
            let fd = integer(&env, "fd", fd.0, 0, i32::MAX.into())? as i32;
            sockets::set_cloexec(fd).map_err(|e| e.throw(&env, "", ""))
        })
    }

    /// Releases the exit callback. Children still running are no longer reported.
    #[napi]
    pub fn close(&mut self, env: Env) -> napi::Result<()> {
        guard(&env, || {
            self.sink.channel.release();
            if let Some(hook) = self.cleanup.take() {
                env.remove_env_cleanup_hook(hook)?;
            }
            Ok(())
        })
    }
}

fn parse_ip(env: &Env, host: &str) -> napi::Result<IpAddr> {
    host.parse::<IpAddr>().map_err(|_| {
        throw(
            env,
            ErrorKind::Type,
            "ERR_INVALID_ARG_VALUE",
            &format!("'{host}' is not an IP address"),
        )
    })
}
