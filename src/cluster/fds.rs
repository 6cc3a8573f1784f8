//! The fds this addon hands to JavaScript, so that `closeFd` closes only those.
//!
//! `spawn`, `bind` and `recvFd` give JavaScript raw fd numbers; some it closes again with
//! `closeFd`, others it gives to libuv (`server.listen({ fd })`, the IPC channel), which closes
//! them itself. An fd number is reused as soon as it is closed, so a number alone does not say
//! whose fd it is now: each fd is recorded with the identity of the open file it referred to
//! (device and inode, from `fstat`), and `closeFd` closes a number only while it still refers
//! to that file. A number the addon never handed out (stdout, one of libuv's) or one whose
//! file was closed and the number reused (by libuv, say) is refused, never closed.
//!
//! An entry is dropped when `closeFd` closes it and replaced when the number is handed out
//! again, so the table never holds more entries than fd numbers in use at once.

use std::collections::HashMap;
use std::os::fd::{BorrowedFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// What an fd number referred to when it was handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
}

fn identity(fd: RawFd) -> Option<Identity> {
    if fd < 0 {
        return None;
    }
    // SAFETY: only used for the fstat below, while the number is checked or owned by us;
    // fstat on a closed number fails with EBADF.
    let fd = unsafe { BorrowedFd::borrow_raw(fd) };
    let stat = nix::sys::stat::fstat(fd).ok()?;
    Some(Identity {
        dev: stat.st_dev,
        ino: stat.st_ino,
    })
}

fn table() -> MutexGuard<'static, HashMap<RawFd, Identity>> {
    static TABLE: OnceLock<Mutex<HashMap<RawFd, Identity>>> = OnceLock::new();
    TABLE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Gives an fd to JavaScript: records it and returns its number (the caller's JavaScript now
/// owns it).
pub(crate) fn hand_out(fd: OwnedFd) -> RawFd {
    let raw = fd.into_raw_fd();
    record(raw);
    raw
}

/// Records a raw fd the addon made and hands to JavaScript.
pub(crate) fn record(fd: RawFd) {
    if let Some(id) = identity(fd) {
        table().insert(fd, id);
    }
}

/// Why `close` refused an fd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotHandedOut;

/// Closes `fd` if it is one the addon handed out and it still refers to the same file.
pub(crate) fn close(fd: RawFd) -> Result<(), NotHandedOut> {
    let mut table = table();
    let recorded = table.get(&fd).copied().ok_or(NotHandedOut)?;
    // Checked and closed under the lock, so a concurrent `record` of the same number (the
    // number reused between our check and our close) cannot slip in between.
    if identity(fd) != Some(recorded) {
        table.remove(&fd);
        return Err(NotHandedOut);
    }
    table.remove(&fd);
    super::sockets::close(fd);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    fn pair() -> (OwnedFd, OwnedFd) {
        super::super::sockets::control_pair().unwrap()
    }

    #[test]
    fn only_fds_handed_out_are_closed() {
        let (a, _b) = pair();
        let fd = hand_out(a);
        assert_eq!(close(fd), Ok(()));
        // Closed already: refused, and the number is not touched again.
        assert_eq!(close(fd), Err(NotHandedOut));
        // Never handed out.
        let (c, _d) = pair();
        assert_eq!(close(c.as_raw_fd()), Err(NotHandedOut));
        assert!(identity(c.as_raw_fd()).is_some(), "still open");
        assert_eq!(close(-1), Err(NotHandedOut));
    }

    #[test]
    fn a_reused_number_is_refused() {
        let (a, _b) = pair();
        let fd = hand_out(a);
        // Someone else (libuv, say) closed it and the number now refers to another file:
        // dup2 makes that happen atomically, with no window for another thread to take it.
        let (c, _d) = pair();
        // SAFETY: `fd` is ours (handed out above); dup2 swaps the file behind it.
        assert_eq!(unsafe { libc::dup2(c.as_raw_fd(), fd) }, fd);
        assert_eq!(close(fd), Err(NotHandedOut));
        assert!(identity(fd).is_some(), "still open");
        super::super::sockets::close(fd);
    }
}
