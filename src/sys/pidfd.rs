//! pidfds: a file descriptor that names one process, so a signal never reaches a reused pid
//! and `poll(2)` says when the process has exited.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use nix::errno::Errno;

use super::SysError;

/// Opens a pidfd for `pid` (close-on-exec, as every pidfd is).
pub(crate) fn open(pid: i32) -> Result<OwnedFd, SysError> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(SysError::last("pidfd_open"));
    }
    // SAFETY: the kernel just gave us this fd; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Sends `signal` to the process `pidfd` names. Returns false when it has already exited
/// (ESRCH); any other failure is an error.
pub(crate) fn send_signal(pidfd: BorrowedFd<'_>, signal: i32) -> Result<bool, SysError> {
    // SAFETY: a plain syscall on an fd the caller keeps open for the call; a null siginfo
    // means "as kill(2)".
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            signal,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if rc == 0 {
        return Ok(true);
    }
    match Errno::last() {
        Errno::ESRCH => Ok(false),
        e => Err(SysError::new("pidfd_send_signal", e)),
    }
}
