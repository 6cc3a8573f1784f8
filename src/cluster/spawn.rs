//! fork + exec of one worker process.
//!
//! Everything the child needs (argv, envp, cwd, the fd plan) is built
//! in [`Prepared::new`] before `fork`. Between `fork` and `execve` the child calls only
//! async-signal-safe functions (`sigaction`, `sigprocmask`, `prctl`, `getppid`, `fcntl`,
//! `dup2`, `close_range`, `open`, `chdir`, `execve`, `write`, `_exit`): the parent is
//! multi-threaded, so any lock another thread held at fork time stays locked forever in the
//! child, and malloc or Rust's std could take one.
//!
//! Exec failure reaches the parent through a close-on-exec pipe: EOF means execve succeeded,
//! eight bytes (stage, errno) mean the child failed and exits with 127.

use std::ffi::{CString, NulError};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::ptr;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::unistd::{ForkResult, Pid};

use crate::sys::{after_fork, SysError};

/// The fd the IPC socketpair end gets in the child.
pub(crate) const IPC_FD: RawFd = 3;
/// The fd the control (fd-passing) socketpair end gets in the child.
pub(crate) const CONTROL_FD: RawFd = 4;
/// The first fd of those handed to the child on request (`SpawnOptions::inherit`): the n-th
/// gets `INHERIT_FD_BASE + n`.
pub(crate) const INHERIT_FD_BASE: RawFd = 5;
/// At most this many fds are handed to a child on request.
pub(crate) const MAX_INHERIT: usize = 32;

/// What went wrong in the child before `execve` replaced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Stage {
    Dup = 1,
    Chdir = 2,
    Exec = 3,
    Parent = 4,
    DevNull = 5,
}

impl Stage {
    fn from_u32(v: u32) -> Option<Self> {
        match v {
            1 => Some(Self::Dup),
            2 => Some(Self::Chdir),
            3 => Some(Self::Exec),
            4 => Some(Self::Parent),
            5 => Some(Self::DevNull),
            _ => None,
        }
    }

    /// The syscall a Node user would recognise for this stage.
    pub(crate) fn syscall(self) -> &'static str {
        match self {
            Self::Dup => "dup2",
            Self::Chdir => "chdir",
            Self::Exec => "execve",
            Self::Parent => "getppid",
            Self::DevNull => "open",
        }
    }
}

/// Why a spawn failed.
#[derive(Debug)]
pub(crate) enum SpawnError {
    /// A system call failed in the parent.
    Parent(SysError),
    /// The child failed before exec.
    Child(Stage, Errno),
    /// An argument contained a NUL byte.
    Nul(NulError),
}

impl std::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Parent(e) => e.fmt(f),
            Self::Child(stage, e) => SysError::new(stage.syscall(), *e).fmt(f),
            Self::Nul(e) => write!(f, "an argument contains a NUL byte: {e}"),
        }
    }
}

impl SpawnError {
    /// Node-style code: the errno name (`ENOENT`), or ERR_INVALID_ARG_VALUE for NUL bytes.
    pub(crate) fn code(&self) -> String {
        match self {
            Self::Parent(SysError { errno: e, .. }) | Self::Child(_, e) => format!("{e:?}"),
            Self::Nul(_) => "ERR_INVALID_ARG_VALUE".to_owned(),
        }
    }
}

impl From<NulError> for SpawnError {
    fn from(e: NulError) -> Self {
        Self::Nul(e)
    }
}

/// What the JavaScript facade asks for.
#[derive(Debug, Clone)]
pub(crate) struct SpawnSpec {
    pub(crate) file: String,
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<String>,
    pub(crate) cwd: Option<String>,
    pub(crate) silent: bool,
}

/// At most this many fds are moved into a child (IPC, control, stdout, stderr, inherited).
const MAX_MOVES: usize = 4 + MAX_INHERIT;

/// One fd move planned for the child: `from` (a parent fd, close-on-exec) becomes `to`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FdMove {
    pub(crate) from: RawFd,
    pub(crate) to: RawFd,
}

/// A spawn with every allocation done: only raw pointers into owned storage are used after
/// `fork`.
#[derive(Debug)]
pub(crate) struct Prepared {
    file: CString,
    _args: Vec<CString>,
    argv: Vec<*const libc::c_char>,
    _env: Vec<CString>,
    envp: Vec<*const libc::c_char>,
    cwd: Option<CString>,
    dev_null: CString,
    stdin_null: bool,
    moves: Vec<FdMove>,
    parent_pid: libc::pid_t,
}

// SAFETY: the raw pointers in `argv`/`envp` point into the CStrings owned by the same struct,
// which never change after construction; moving the struct to the spawner thread keeps them
// valid (a CString's heap buffer does not move with it).
unsafe impl Send for Prepared {}

impl Prepared {
    /// Builds argv/envp as C arrays. `moves` lists the fds the child must receive.
    pub(crate) fn new(spec: &SpawnSpec, moves: Vec<FdMove>) -> Result<Self, SpawnError> {
        if moves.len() > MAX_MOVES {
            return Err(SpawnError::Parent(SysError::new("dup2", Errno::EMFILE)));
        }
        let file = CString::new(spec.file.as_bytes())?;
        let args = std::iter::once(Ok(file.clone()))
            .chain(spec.args.iter().map(|a| CString::new(a.as_bytes())))
            .collect::<Result<Vec<_>, _>>()?;
        let env = spec
            .env
            .iter()
            .map(|e| CString::new(e.as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        let argv = args
            .iter()
            .map(|a| a.as_ptr())
            .chain(std::iter::once(ptr::null()))
            .collect();
        let envp = env
            .iter()
            .map(|e| e.as_ptr())
            .chain(std::iter::once(ptr::null()))
            .collect();
        let cwd = spec
            .cwd
            .as_ref()
            .map(|c| CString::new(c.as_bytes()))
            .transpose()?;
        Ok(Self {
            file,
            _args: args,
            argv,
            _env: env,
            envp,
            cwd,
            dev_null: CString::from(c"/dev/null"),
            stdin_null: spec.silent,
            moves,
            parent_pid: std::process::id() as libc::pid_t,
        })
    }
}

/// Forks and execs. Must run on the long-lived spawner thread: `PR_SET_PDEATHSIG` fires when
/// the *thread* that forked exits. Returns the child's pid once exec succeeded; a child that
/// failed before exec has been reaped already.
pub(crate) fn fork_exec(prepared: &Prepared) -> Result<Pid, SpawnError> {
    let (report_r, report_w) = nix::unistd::pipe2(OFlag::O_CLOEXEC)
        .map_err(|e| SpawnError::Parent(SysError::new("pipe2", e)))?;
    // SAFETY: the child runs only `child_main`, which makes async-signal-safe calls and ends
    // in execve or _exit; all memory it reads was prepared before the fork.
    match unsafe { nix::unistd::fork() } {
        Err(e) => Err(SpawnError::Parent(SysError::new("fork", e))),
        Ok(ForkResult::Child) => {
            // SAFETY: we are the freshly forked child; see `child_main`.
            unsafe { child_main(prepared, report_w.as_raw_fd()) }
        }
        Ok(ForkResult::Parent { child }) => {
            drop(report_w);
            match read_report(&report_r) {
                None => Ok(child),
                Some((stage, errno)) => {
                    // The child is exiting with 127; reap it now so it never lingers.
                    let _ = nix::sys::wait::waitpid(child, None);
                    Err(SpawnError::Child(stage, errno))
                }
            }
        }
    }
}

/// Reads the child's failure report; `None` means EOF (exec succeeded).
fn read_report(fd: &OwnedFd) -> Option<(Stage, Errno)> {
    let mut buf = [0u8; 8];
    let mut got = 0;
    while got < buf.len() {
        match nix::unistd::read(fd, &mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(Errno::EINTR) => continue,
            Err(_) => break,
        }
    }
    if got < buf.len() {
        return None;
    }
    let stage = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let errno = i32::from_ne_bytes([buf[4], buf[5], buf[6], buf[7]]);
    Some((
        Stage::from_u32(stage).unwrap_or(Stage::Exec),
        Errno::from_raw(errno),
    ))
}

/// The child between fork and exec.
///
/// # Safety
/// Must be called only in the child right after `fork`, with `prepared` built before the
/// fork and `report` the write end of the report pipe. Never returns.
unsafe fn child_main(prepared: &Prepared, report: RawFd) -> ! {
    // SAFETY (this block): only async-signal-safe libc calls on memory prepared before the
    // fork; every pointer passed is valid for the duration of the call.
    unsafe {
        // Signal handlers do not survive exec but ignored signals and the mask do: start the
        // child with defaults (every signal, real-time ones too: see `after_fork`).
        after_fork::reset_signals();
        // Die with the spawner thread (that is, with the primary process). The parent may
        // have died between fork and prctl: then we are already orphaned and must go.
        if !after_fork::die_with_parent(prepared.parent_pid) {
            fail(report, Stage::Parent, libc::ESRCH);
        }

        // Move the fds in two phases so a source can never be overwritten by an earlier
        // target: first above every target (close-on-exec copies), then onto the targets
        // (dup2 clears close-on-exec on the new fd).
        let top = prepared
            .moves
            .iter()
            .map(|m| m.to)
            .max()
            .unwrap_or(2)
            .max(2)
            + 1;
        let mut staged = [-1 as RawFd; MAX_MOVES];
        for (i, m) in prepared.moves.iter().enumerate().take(staged.len()) {
            let fd = libc::fcntl(m.from, libc::F_DUPFD_CLOEXEC, top);
            if fd < 0 {
                fail(report, Stage::Dup, errno());
            }
            staged[i] = fd;
        }
        for (i, m) in prepared.moves.iter().enumerate().take(staged.len()) {
            if libc::dup2(staged[i], m.to) < 0 {
                fail(report, Stage::Dup, errno());
            }
        }
        if prepared.stdin_null {
            let fd = libc::open(prepared.dev_null.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            if fd < 0 || libc::dup2(fd, 0) < 0 {
                fail(report, Stage::DevNull, errno());
            }
        }
        // Node marks its own stdio close-on-exec: the worker inherits 0-2 only if we say so.
        for fd in 0..3 {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags >= 0 && flags & libc::FD_CLOEXEC != 0 {
                libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
            }
        }
        // Exactly the planned fds survive exec: mark everything above them close-on-exec
        // (the report pipe must stay usable until exec, so mark rather than close).
        libc::syscall(
            libc::SYS_close_range,
            top as libc::c_uint,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        );

        if let Some(cwd) = &prepared.cwd {
            if libc::chdir(cwd.as_ptr()) < 0 {
                fail(report, Stage::Chdir, errno());
            }
        }
        libc::execve(
            prepared.file.as_ptr(),
            prepared.argv.as_ptr(),
            prepared.envp.as_ptr(),
        );
        fail(report, Stage::Exec, errno())
    }
}

/// Current errno, async-signal-safe.
fn errno() -> i32 {
    // SAFETY: __errno_location returns this thread's errno slot, always valid.
    unsafe { *libc::__errno_location() }
}

/// Reports a pre-exec failure to the parent and exits. Async-signal-safe.
fn fail(report: RawFd, stage: Stage, errno: i32) -> ! {
    let mut buf = [0u8; 8];
    buf[..4].copy_from_slice(&(stage as u32).to_ne_bytes());
    buf[4..].copy_from_slice(&errno.to_ne_bytes());
    // SAFETY: `buf` is valid for 8 bytes; write and _exit are async-signal-safe.
    unsafe {
        libc::write(report, buf.as_ptr().cast(), buf.len());
        libc::_exit(127)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_bytes_are_refused_before_fork() {
        let spec = SpawnSpec {
            file: "/bin/true".into(),
            args: vec!["a\0b".into()],
            env: vec![],
            cwd: None,
            silent: false,
        };
        let err = Prepared::new(&spec, vec![]).unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE");
    }

    #[test]
    fn argv_and_envp_are_null_terminated() {
        let spec = SpawnSpec {
            file: "/bin/true".into(),
            args: vec!["x".into()],
            env: vec!["A=1".into()],
            cwd: Some("/".into()),
            silent: false,
        };
        let p = Prepared::new(&spec, vec![]).unwrap();
        assert_eq!(p.argv.len(), 3);
        assert!(p.argv[2].is_null());
        assert_eq!(p.envp.len(), 2);
        assert!(p.envp[1].is_null());
    }

    #[test]
    fn exec_failure_is_reported_with_its_stage() {
        let spec = SpawnSpec {
            file: "/bin/true".into(),
            args: vec![],
            env: vec![],
            cwd: Some("/definitely/not/here".into()),
            silent: false,
        };
        let p = Prepared::new(&spec, vec![]).unwrap();
        match fork_exec(&p) {
            Err(SpawnError::Child(Stage::Chdir, Errno::ENOENT)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_good_exec_returns_the_pid() {
        let spec = SpawnSpec {
            file: "/bin/sh".into(),
            args: vec!["-c".into(), "exit 3".into()],
            env: vec![],
            cwd: None,
            silent: false,
        };
        let p = Prepared::new(&spec, vec![]).unwrap();
        let pid = fork_exec(&p).unwrap();
        let status = nix::sys::wait::waitpid(pid, None).unwrap();
        assert_eq!(status, nix::sys::wait::WaitStatus::Exited(pid, 3));
    }
}
