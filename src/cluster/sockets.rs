//! Listening sockets and fd passing.
//!
//! Sockets are made with socket2 (close-on-exec, non-blocking) and handed to JavaScript as
//! raw fds that `server.listen({ fd })` adopts. Fds travel between processes over the
//! per-worker control socketpair (`SOCK_SEQPACKET`) as `SCM_RIGHTS`, each with a 4-byte token
//! so the receiver can check it got the fd it was told about over IPC.

use std::net::{IpAddr, SocketAddr};
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
use socket2::{Domain, Protocol, Socket, Type};

use crate::sys::{fd_passing, SysError};

/// How a listening socket is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// SO_REUSEPORT, listening (one per worker, the kernel spreads connections).
    ReusePort,
    /// SO_REUSEPORT, bound but not listening: reserves a port for `ReusePort` sockets.
    Reservation,
    /// SO_REUSEADDR, listening: one socket shared by every worker.
    Shared,
}

/// A bound socket: its fd (owned by the caller from now on) and the port it got.
#[derive(Debug)]
pub(crate) struct Bound {
    pub(crate) fd: RawFd,
    pub(crate) port: u16,
}

/// Makes a TCP socket of the given kind on `ip:port`. An unspecified IPv6 address listens
/// dual-stack, as Node does, unless `v6_only` (Node's `ipv6Only`).
pub(crate) fn bind(
    ip: IpAddr,
    port: u16,
    backlog: i32,
    kind: Kind,
    v6_only: bool,
) -> Result<Bound, SysError> {
    let domain = if ip.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let socket = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))
        .map_err(|e| SysError::from_io("socket", &e))?;
    socket
        .set_reuse_address(true)
        .map_err(|e| SysError::from_io("setsockopt", &e))?;
    if kind != Kind::Shared {
        socket
            .set_reuse_port(true)
            .map_err(|e| SysError::from_io("setsockopt", &e))?;
    }
    if ip.is_ipv6() {
        socket
            .set_only_v6(v6_only)
            .map_err(|e| SysError::from_io("setsockopt", &e))?;
    }
    socket
        .bind(&SocketAddr::new(ip, port).into())
        .map_err(|e| SysError::from_io("bind", &e))?;
    if kind != Kind::Reservation {
        socket
            .listen(backlog)
            .map_err(|e| SysError::from_io("listen", &e))?;
    }
    socket
        .set_nonblocking(true)
        .map_err(|e| SysError::from_io("fcntl", &e))?;
    let port = socket
        .local_addr()
        .map_err(|e| SysError::from_io("getsockname", &e))?
        .as_socket()
        .map(|a| a.port())
        .unwrap_or(port);
    Ok(Bound {
        fd: socket.into_raw_fd(),
        port,
    })
}

/// A close-on-exec `SOCK_SEQPACKET` socketpair for fd passing.
pub(crate) fn control_pair() -> Result<(OwnedFd, OwnedFd), SysError> {
    socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| SysError::new("socketpair", e))
}

/// A close-on-exec `SOCK_STREAM` socketpair for IPC frames.
pub(crate) fn ipc_pair() -> Result<(OwnedFd, OwnedFd), SysError> {
    socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| SysError::new("socketpair", e))
}

/// Sends a duplicate of `fd` over the control socket, tagged with `token`. Never blocks.
pub(crate) fn send_fd(control: RawFd, fd: RawFd, token: u32) -> Result<(), SysError> {
    fd_passing::send(control, &token.to_ne_bytes(), Some(fd), true)
}

/// Receives one fd from the control socket (close-on-exec). Never blocks: the sender always
/// sends the fd before the IPC frame that announces it. Returns the fd and its token.
pub(crate) fn recv_fd(control: RawFd) -> Result<(RawFd, u32), SysError> {
    let mut payload = [0u8; 4];
    let (len, fd) = fd_passing::recv(control, &mut payload, true)?;
    match fd {
        Some(fd) if len == payload.len() => Ok((fd.into_raw_fd(), u32::from_ne_bytes(payload))),
        _ => Err(SysError::new("recvmsg", Errno::EBADMSG)),
    }
}

/// Closes an fd the caller owns.
pub(crate) fn close(fd: RawFd) {
    if fd >= 0 {
        // SAFETY: the caller hands over ownership of an fd it opened and no longer uses.
        drop(unsafe { OwnedFd::from_raw_fd(fd) });
    }
}

/// Sets close-on-exec on an fd (a worker's inherited IPC fds, so its own children do not
/// keep the channel open).
pub(crate) fn set_cloexec(fd: RawFd) -> Result<(), SysError> {
    // SAFETY: F_GETFD/F_SETFD on any fd number is harmless; errors are reported.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags < 0 {
        return Err(SysError::new("fcntl", Errno::last()));
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) } < 0 {
        return Err(SysError::new("fcntl", Errno::last()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use std::os::fd::AsRawFd;

    const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn reuseport_sockets_share_a_reserved_port() {
        let reserved = bind(LOCAL, 0, 16, Kind::Reservation, false).unwrap();
        assert_ne!(reserved.port, 0);
        let a = bind(LOCAL, reserved.port, 16, Kind::ReusePort, false).unwrap();
        let b = bind(LOCAL, reserved.port, 16, Kind::ReusePort, false).unwrap();
        assert_eq!(a.port, reserved.port);
        assert_eq!(b.port, reserved.port);
        for fd in [reserved.fd, a.fd, b.fd] {
            close(fd);
        }
    }

    #[test]
    fn a_shared_socket_refuses_a_second_bind() {
        let a = bind(LOCAL, 0, 16, Kind::Shared, false).unwrap();
        let err = bind(LOCAL, a.port, 16, Kind::Shared, false).unwrap_err();
        assert_eq!(err.code(), "EADDRINUSE");
        assert!(err.to_string().starts_with("bind EADDRINUSE"));
        close(a.fd);
    }

    #[test]
    fn fds_travel_with_their_token() {
        let (x, y) = control_pair().unwrap();
        let s = bind(LOCAL, 0, 16, Kind::Shared, false).unwrap();
        send_fd(x.as_raw_fd(), s.fd, 42).unwrap();
        let (fd, token) = recv_fd(y.as_raw_fd()).unwrap();
        assert_eq!(token, 42);
        assert_ne!(fd, s.fd);
        // Nothing more is waiting: the receiver never blocks.
        assert_eq!(recv_fd(y.as_raw_fd()).unwrap_err().errno, Errno::EAGAIN);
        close(fd);
        close(s.fd);
    }
}
