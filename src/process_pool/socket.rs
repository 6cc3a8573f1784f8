//! Sending and receiving [`Msg`]s on a child's `SOCK_SEQPACKET` socket, with at most one fd
//! riding along (a segment's memfd). Built on `sys::fd_passing`: buffers on the stack and no
//! allocation, so a child may call them.

use std::os::fd::{OwnedFd, RawFd};

use nix::errno::Errno;

use super::protocol::{Msg, MSG};
use crate::sys::fd_passing;

/// Sends one message (and optionally one fd). Never raises SIGPIPE. Returns the errno on
/// failure (EAGAIN when `nonblocking` and the socket buffer is full).
pub(super) fn send(
    sock: RawFd,
    msg: &Msg,
    fd: Option<RawFd>,
    nonblocking: bool,
) -> Result<(), i32> {
    let encoded = msg.encode();
    fd_passing::send(sock, encoded.bytes(), fd, nonblocking).map_err(|e| e.errno as i32)
}

/// What `recv` got.
// Returned by value once per message: boxing the large variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(super) enum Received {
    /// A message, and the fd that came with it (now owned by the caller).
    Msg(Msg, Option<OwnedFd>),
    /// The peer closed its end.
    Eof,
    /// Nothing to read (non-blocking only).
    Empty,
    /// A packet that is not a valid message (its fd, if any, was closed).
    Garbage,
    /// A socket error.
    Error,
}

/// Receives one message (no allocation). A received fd is close-on-exec.
pub(super) fn recv(sock: RawFd, nonblocking: bool) -> Received {
    let mut buf = [0u8; MSG];
    match fd_passing::recv(sock, &mut buf, nonblocking) {
        Ok((0, _)) => Received::Eof,
        Ok((n, fd)) => match Msg::decode(&buf[..n]) {
            Some(msg) => Received::Msg(msg, fd),
            None => Received::Garbage,
        },
        Err(e) if e.errno == Errno::EAGAIN => Received::Empty,
        Err(_) => Received::Error,
    }
}

#[cfg(test)]
mod test {
    use super::super::protocol::{Done, Reply};
    use super::*;

    #[test]
    fn fds_travel_with_messages() {
        use std::os::fd::AsRawFd;
        let (a, b) = crate::sys::test::seqpacket_pair();
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
                assert_ne!(fd.as_raw_fd(), file.as_raw_fd());
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
