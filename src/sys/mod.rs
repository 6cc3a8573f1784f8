//! OS process machinery shared by `cluster` and `process_pool`: one error type for failed
//! system calls ([`SysError`]) and its one mapper to a JavaScript error, pidfds ([`pidfd`]),
//! the clean-up a child does right after `fork` ([`after_fork`]), fd passing over a Unix
//! socket ([`fd_passing`]), and `poll(2)` for the threads that watch children, with one
//! policy for its failures ([`poll`]). Unit tests are in `test.rs` beside this file.

pub(crate) mod after_fork;
pub(crate) mod fd_passing;
pub(crate) mod pidfd;
pub(crate) mod poll;
#[cfg(test)]
pub(crate) mod test;

use napi::Env;
use nix::errno::Errno;

use crate::napi_util::{throw, ErrorKind};

/// A failed system call: which one, and the OS error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SysError {
    pub(crate) syscall: &'static str,
    pub(crate) errno: Errno,
}

impl SysError {
    pub(crate) fn new(syscall: &'static str, errno: Errno) -> Self {
        Self { syscall, errno }
    }

    /// The error of the call that just failed (`errno`).
    pub(crate) fn last(syscall: &'static str) -> Self {
        Self::new(syscall, Errno::last())
    }

    /// From a `std::io::Error` (EIO when it carries no OS error).
    pub(crate) fn from_io(syscall: &'static str, err: &std::io::Error) -> Self {
        Self::new(
            syscall,
            Errno::from_raw(err.raw_os_error().unwrap_or(libc::EIO)),
        )
    }

    /// Node-style code: the errno name (`EADDRINUSE`).
    pub(crate) fn code(&self) -> String {
        format!("{:?}", self.errno)
    }

    /// The JavaScript error for it, as Node words a failed call: code `EADDRINUSE`, message
    /// `{prefix}bind EADDRINUSE: Address already in use{detail}`.
    pub(crate) fn throw(self, env: &Env, prefix: &str, detail: &str) -> napi::Error {
        throw(
            env,
            ErrorKind::Error,
            &self.code(),
            &format!("{prefix}{self}{detail}"),
        )
    }
}

impl std::fmt::Display for SysError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:?}: {}",
            self.syscall,
            self.errno,
            self.errno.desc()
        )
    }
}
