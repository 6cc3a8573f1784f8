//! Passing file descriptors over a Unix socket (`SCM_RIGHTS`), at most one per message:
//! plain `sendmsg(2)` / `recvmsg(2)` with every buffer on the stack, so a forked child may
//! call them too (no allocation, no lock). Used by the cluster's control sockets and by the
//! process pool's child sockets.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;

use super::SysError;

/// Room for one `cmsghdr` carrying a few ints, aligned for `cmsghdr`.
type Control = [u64; 4];

/// Sends `bytes` on `sock` as one message, with a copy of `fd` riding along when given.
/// Never raises SIGPIPE; with `nonblocking`, fails with EAGAIN rather than wait for room.
pub(crate) fn send(
    sock: RawFd,
    bytes: &[u8],
    fd: Option<RawFd>,
    nonblocking: bool,
) -> Result<(), SysError> {
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr() as *mut libc::c_void,
        iov_len: bytes.len(),
    };
    let mut control: Control = [0; 4];
    // SAFETY: an all-zero msghdr is valid (no name, no iov, no control).
    let mut header: libc::msghdr = unsafe { std::mem::zeroed() };
    header.msg_iov = &mut iov;
    header.msg_iovlen = 1;
    if let Some(fd) = fd {
        // SAFETY: CMSG_SPACE/CMSG_LEN are pure arithmetic on a small constant.
        let (space, len) = unsafe {
            (
                libc::CMSG_SPACE(size_of::<RawFd>() as u32) as usize,
                libc::CMSG_LEN(size_of::<RawFd>() as u32) as usize,
            )
        };
        debug_assert!(space <= size_of::<Control>());
        header.msg_control = control.as_mut_ptr().cast();
        header.msg_controllen = space;
        // SAFETY: `header` points at `control`, which is large and aligned enough for one
        // cmsghdr with an int payload (checked above), so CMSG_FIRSTHDR is non-null and the
        // writes stay inside `control`.
        unsafe {
            let cmsg = libc::CMSG_FIRSTHDR(&header);
            (*cmsg).cmsg_level = libc::SOL_SOCKET;
            (*cmsg).cmsg_type = libc::SCM_RIGHTS;
            (*cmsg).cmsg_len = len;
            std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>(), fd);
        }
    }
    let flags = libc::MSG_NOSIGNAL | if nonblocking { libc::MSG_DONTWAIT } else { 0 };
    loop {
        // SAFETY: `header` and everything it points to live on this frame for the call.
        if unsafe { libc::sendmsg(sock, &header, flags) } >= 0 {
            return Ok(());
        }
        match Errno::last() {
            Errno::EINTR => continue,
            e => return Err(SysError::new("sendmsg", e)),
        }
    }
}

/// Receives one message into `buf`: its length (0 when the peer closed its end) and the fd
/// that came with it (close-on-exec, owned by the caller; any further fds are closed). With
/// `nonblocking`, fails with EAGAIN when nothing is waiting.
pub(crate) fn recv(
    sock: RawFd,
    buf: &mut [u8],
    nonblocking: bool,
) -> Result<(usize, Option<OwnedFd>), SysError> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut control: Control = [0; 4];
    // SAFETY: an all-zero msghdr is valid.
    let mut header: libc::msghdr = unsafe { std::mem::zeroed() };
    header.msg_iov = &mut iov;
    header.msg_iovlen = 1;
    header.msg_control = control.as_mut_ptr().cast();
    header.msg_controllen = size_of::<Control>();
    let flags = libc::MSG_CMSG_CLOEXEC | if nonblocking { libc::MSG_DONTWAIT } else { 0 };
    let n = loop {
        // SAFETY: `header` points to buffers on this frame and to `buf`, valid for the call.
        let r = unsafe { libc::recvmsg(sock, &mut header, flags) };
        if r >= 0 {
            break r as usize;
        }
        match Errno::last() {
            Errno::EINTR => continue,
            e => return Err(SysError::new("recvmsg", e)),
        }
    };
    let mut fd = None;
    // SAFETY: recvmsg filled `control` and set msg_controllen; the CMSG macros walk only
    // within it, and a SCM_RIGHTS payload holds whole ints, each a new fd we now own.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&header);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(cmsg).cast::<RawFd>();
                let count = ((*cmsg).cmsg_len - libc::CMSG_LEN(0) as usize) / size_of::<RawFd>();
                for i in 0..count {
                    let got = OwnedFd::from_raw_fd(std::ptr::read_unaligned(data.add(i)));
                    // The first is the caller's; any other is dropped (closed) here.
                    if fd.is_none() {
                        fd = Some(got);
                    }
                }
            }
            cmsg = libc::CMSG_NXTHDR(&header, cmsg);
        }
    }
    Ok((n, fd))
}
