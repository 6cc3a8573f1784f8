//! Sending and receiving [`Msg`]s on a child's `SOCK_SEQPACKET` socket: plain `sendmsg(2)` /
//! `recvmsg(2)` with buffers on the stack (no allocation, so a child may call them), and at
//! most one fd riding along as `SCM_RIGHTS`.

use std::os::fd::RawFd;

use super::protocol::{Msg, MSG};

/// Sends one message (and optionally one fd) on a socket with plain `sendmsg(2)`: no
/// allocation, so the child may call it too. Never raises SIGPIPE. Returns the errno on
/// failure (EAGAIN when `nonblocking` and the socket buffer is full).
pub(super) fn send(
    sock: RawFd,
    msg: &Msg,
    fd: Option<RawFd>,
    nonblocking: bool,
) -> Result<(), i32> {
    let encoded = msg.encode();
    let bytes = encoded.bytes();
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr() as *mut libc::c_void,
        iov_len: bytes.len(),
    };
    // Room for one cmsghdr carrying one int, aligned for cmsghdr.
    let mut control = [0u64; 4];
    // SAFETY: an all-zero msghdr is valid (no name, no iov, no control).
    let mut header: libc::msghdr = unsafe { std::mem::zeroed() };
    header.msg_iov = &mut iov;
    header.msg_iovlen = 1;
    if let Some(fd) = fd {
        // SAFETY: CMSG_SPACE/CMSG_LEN are pure arithmetic on a small constant.
        let (space, len) = unsafe {
            (
                libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) as usize,
                libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as usize,
            )
        };
        debug_assert!(space <= std::mem::size_of_val(&control));
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
        let r = unsafe { libc::sendmsg(sock, &header, flags) };
        if r >= 0 {
            return Ok(());
        }
        let errno = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        if errno != libc::EINTR {
            return Err(errno);
        }
    }
}

/// What `recv` got.
// Returned by value once per message: boxing the large variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(super) enum Received {
    /// A message, and the fd that came with it (now owned by the caller).
    Msg(Msg, Option<RawFd>),
    /// The peer closed its end.
    Eof,
    /// Nothing to read (non-blocking only).
    Empty,
    /// A packet that is not a valid message (its fd, if any, was closed).
    Garbage,
    /// A socket error.
    Error,
}

/// Receives one message with plain `recvmsg(2)` (no allocation). Received fds are
/// close-on-exec.
pub(super) fn recv(sock: RawFd, nonblocking: bool) -> Received {
    let mut buf = [0u8; MSG];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut control = [0u64; 4];
    // SAFETY: an all-zero msghdr is valid.
    let mut header: libc::msghdr = unsafe { std::mem::zeroed() };
    header.msg_iov = &mut iov;
    header.msg_iovlen = 1;
    header.msg_control = control.as_mut_ptr().cast();
    header.msg_controllen = std::mem::size_of_val(&control);
    let flags = libc::MSG_CMSG_CLOEXEC | if nonblocking { libc::MSG_DONTWAIT } else { 0 };
    let n = loop {
        // SAFETY: `header` points to buffers on this frame, valid for the call.
        let r = unsafe { libc::recvmsg(sock, &mut header, flags) };
        if r >= 0 {
            break r as usize;
        }
        match std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO)
        {
            libc::EINTR => continue,
            libc::EAGAIN => return Received::Empty,
            _ => return Received::Error,
        }
    };
    if n == 0 {
        return Received::Eof;
    }
    let mut fd = None;
    // SAFETY: recvmsg filled `control` and set msg_controllen; the CMSG macros walk only
    // within it, and a SCM_RIGHTS payload holds whole ints.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&header);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(cmsg).cast::<RawFd>();
                let count = ((*cmsg).cmsg_len - libc::CMSG_LEN(0) as usize) / 4;
                for i in 0..count {
                    let got = std::ptr::read_unaligned(data.add(i));
                    if fd.is_none() {
                        fd = Some(got);
                    } else {
                        libc::close(got);
                    }
                }
            }
            cmsg = libc::CMSG_NXTHDR(&header, cmsg);
        }
    }
    match Msg::decode(&buf[..n]) {
        Some(msg) => Received::Msg(msg, fd),
        None => {
            if let Some(fd) = fd {
                // SAFETY: the fd arrived with this packet and nothing else owns it.
                unsafe { libc::close(fd) };
            }
            Received::Garbage
        }
    }
}

#[cfg(test)]
mod test {
    use super::super::protocol::{Done, Reply};
    use super::*;

    #[test]
    fn fds_travel_with_messages() {
        use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
        use std::os::fd::AsRawFd;
        let (a, b) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .unwrap();
        let file = std::fs::File::open("/proc/self/stat").unwrap();
        send(
            a.as_raw_fd(),
            &Msg::Map { id: 3, len: 8 },
            Some(file.as_raw_fd()),
            false,
        )
        .unwrap();
        match recv(b.as_raw_fd(), true) {
            Received::Msg(Msg::Map { id: 3, len: 8 }, Some(fd)) => {
                assert_ne!(fd, file.as_raw_fd());
                // SAFETY (test): the fd was just received and is ours to close.
                unsafe { libc::close(fd) };
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(recv(b.as_raw_fd(), true), Received::Empty));
        // The largest message (a part's 256 counts) arrives whole.
        let counts = Msg::Done(Done::ok(
            1,
            Reply::Counts(std::array::from_fn(|i| u32::MAX - i as u32)),
        ));
        assert!(counts.encode().bytes().len() > 1024);
        send(a.as_raw_fd(), &counts, None, false).unwrap();
        match recv(b.as_raw_fd(), true) {
            Received::Msg(got, None) => assert_eq!(got, counts),
            other => panic!("{other:?}"),
        }
        drop(a);
        assert!(matches!(recv(b.as_raw_fd(), true), Received::Eof));
    }
}
