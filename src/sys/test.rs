//! Unit tests of `src/sys/`: error wording, pidfds, the after-fork reset and fd passing.

use std::os::fd::{AsFd, AsRawFd};

use nix::errno::Errno;
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, ForkResult, Pid};

use super::*;

#[test]
fn errors_read_as_node_words_them() {
    let e = SysError::new("bind", Errno::EADDRINUSE);
    assert_eq!(e.code(), "EADDRINUSE");
    assert_eq!(e.to_string(), "bind EADDRINUSE: Address already in use");
    let io = std::io::Error::from_raw_os_error(libc::ENOENT);
    assert_eq!(SysError::from_io("open", &io).errno, Errno::ENOENT);
    let no_os = std::io::Error::other("no errno");
    assert_eq!(SysError::from_io("open", &no_os).errno, Errno::EIO);
}

/// Forks a child that runs `body` and exits with its return value (no unwinding, no
/// destructors).
fn fork_child(body: impl FnOnce() -> i32) -> Pid {
    // SAFETY: the child only runs `body` (async-signal-safe calls in these tests) and _exit.
    match unsafe { fork() }.unwrap() {
        ForkResult::Child => {
            let code = body();
            // SAFETY: ends the child at once.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => child,
    }
}

#[test]
fn a_pidfd_signals_its_process_and_then_reports_it_gone() {
    // SAFETY: pause is async-signal-safe; the child waits for the signal.
    let pid = fork_child(|| unsafe { libc::pause() });
    let fd = pidfd::open(pid.as_raw()).unwrap();
    assert!(pidfd::send_signal(fd.as_fd(), libc::SIGKILL).unwrap());
    assert_eq!(
        waitpid(pid, None).unwrap(),
        WaitStatus::Signaled(pid, nix::sys::signal::Signal::SIGKILL, false)
    );
    // Reaped: the pidfd still names that process (never a reused pid) and says it is gone.
    assert!(!pidfd::send_signal(fd.as_fd(), libc::SIGKILL).unwrap());
    assert_eq!(pidfd::open(-1).unwrap_err().syscall, "pidfd_open");
}

#[test]
fn after_fork_every_signal_is_default_and_unblocked_real_time_ones_too() {
    let rt = libc::SIGRTMIN() + 5;
    // SAFETY: sigaction/pthread_sigmask on values of this frame; restored below.
    let (old, old_mask) = unsafe {
        let mut ignore: libc::sigaction = std::mem::zeroed();
        ignore.sa_sigaction = libc::SIG_IGN;
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(rt, &ignore, &mut old);
        let mut block: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut block);
        libc::sigaddset(&mut block, libc::SIGUSR2);
        let mut old_mask: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut old_mask);
        (old, old_mask)
    };
    let pid = fork_child(|| {
        // SAFETY: in the child right after fork; only async-signal-safe calls follow.
        unsafe {
            after_fork::reset_signals();
            let mut now: libc::sigaction = std::mem::zeroed();
            libc::sigaction(rt, std::ptr::null(), &mut now);
            let mut mask: libc::sigset_t = std::mem::zeroed();
            libc::sigprocmask(libc::SIG_SETMASK, std::ptr::null(), &mut mask);
            let default = now.sa_sigaction == libc::SIG_DFL;
            let unblocked = libc::sigismember(&mask, libc::SIGUSR2) == 0;
            let orphan = !after_fork::die_with_parent(libc::getppid());
            i32::from(!default) | i32::from(!unblocked) << 1 | i32::from(orphan) << 2
        }
    });
    // SAFETY: restores what was changed above.
    unsafe {
        libc::sigaction(rt, &old, std::ptr::null_mut());
        libc::pthread_sigmask(libc::SIG_SETMASK, &old_mask, std::ptr::null_mut());
    }
    assert_eq!(waitpid(pid, None).unwrap(), WaitStatus::Exited(pid, 0));
}

/// A connected pair of close-on-exec `SOCK_SEQPACKET` sockets (for tests elsewhere too).
pub(crate) fn seqpacket_pair() -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
    socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .unwrap()
}

#[test]
fn fds_travel_with_messages_one_at_a_time() {
    let (a, b) = seqpacket_pair();
    let file = std::fs::File::open("/proc/self/stat").unwrap();
    fd_passing::send(a.as_raw_fd(), b"map", Some(file.as_raw_fd()), true).unwrap();
    fd_passing::send(a.as_raw_fd(), b"plain", None, true).unwrap();
    let mut buf = [0u8; 16];
    let (n, fd) = fd_passing::recv(b.as_raw_fd(), &mut buf, true).unwrap();
    assert_eq!(&buf[..n], b"map");
    let fd = fd.unwrap();
    assert_ne!(fd.as_raw_fd(), file.as_raw_fd());
    // SAFETY: F_GETFD on an fd we own.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
    assert_ne!(
        flags & libc::FD_CLOEXEC,
        0,
        "received fds are close-on-exec"
    );
    let (n, fd) = fd_passing::recv(b.as_raw_fd(), &mut buf, true).unwrap();
    assert_eq!((&buf[..n], fd.is_none()), (&b"plain"[..], true));
    // Nothing waiting: a non-blocking receive says so rather than wait.
    let empty = fd_passing::recv(b.as_raw_fd(), &mut buf, true).unwrap_err();
    assert_eq!(empty.errno, Errno::EAGAIN);
    drop(a);
    assert_eq!(
        fd_passing::recv(b.as_raw_fd(), &mut buf, true).unwrap().0,
        0
    );
    // A closed peer: sending fails (EPIPE) instead of raising SIGPIPE.
    let (c, d) = seqpacket_pair();
    drop(d);
    let err = fd_passing::send(c.as_raw_fd(), b"x", None, true).unwrap_err();
    assert_eq!((err.syscall, err.errno), ("sendmsg", Errno::EPIPE));
}
