//! `poll(2)` for the native threads that watch children: the ProcessPool's supervisor and the
//! cluster's spawner. Both sleep in `poll` with no timeout until a child's socket or pidfd, or
//! their own eventfd, is ready.
//!
//! When `poll` fails:
//! - `EINTR` (a signal arrived): poll again at once.
//! - Anything else: `ENOMEM` (the kernel could not allocate its table: transient) or `EINVAL`
//!   (more fds than `RLIMIT_NOFILE` allows: another process can lower the limit with
//!   `prlimit` while ours are open, and it lasts until the limit is raised or children go).
//!   Polling again at once would spin a core for as long as it lasts; stopping the thread
//!   would strand every task in flight (the supervisor) or kill every worker through
//!   `PR_SET_PDEATHSIG` (the spawner, which must never exit). So the thread sleeps a pause
//!   that doubles from 1 ms up to 100 ms while the failure lasts, then treats every fd as
//!   ready: the callers only read non-blocking sockets and reap with `WNOHANG`, so a sweep
//!   over everything is always safe and finds whatever happened. The pool and the cluster
//!   keep working, up to 100 ms late, waking at most about ten times a second.

use std::time::Duration;

use nix::errno::Errno;

/// The first pause after a failure.
const FIRST_PAUSE: Duration = Duration::from_millis(1);
/// The longest pause between two sweeps while `poll` keeps failing.
const MAX_PAUSE: Duration = Duration::from_millis(100);

/// A `pollfd` that waits for input on `fd` (a negative fd is ignored by `poll`).
pub(crate) fn pollfd(fd: i32) -> libc::pollfd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}

/// One thread's poller: remembers how long to pause while `poll` keeps failing.
#[derive(Debug)]
pub(crate) struct Poller {
    pause: Duration,
}

impl Default for Poller {
    fn default() -> Self {
        Self { pause: FIRST_PAUSE }
    }
}

impl Poller {
    /// Waits until one of `fds` is ready and fills in their `revents`. When `poll` fails
    /// with anything but `EINTR`, sleeps (see the module docs), marks every fd ready and
    /// returns the error.
    pub(crate) fn wait(&mut self, fds: &mut [libc::pollfd]) -> Result<(), Errno> {
        self.wait_with(fds, |fds| match injected_failure() {
            Some(errno) => Err(errno),
            None => {
                // SAFETY: `fds` is a valid, exclusively borrowed array of pollfd for the call;
                // the caller keeps the fds in it open while it polls, and poll ignores
                // negative ones.
                let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
                if r < 0 {
                    Err(Errno::last())
                } else {
                    Ok(())
                }
            }
        })
    }

    /// [`Poller::wait`] with the system call given (tests pass failing ones).
    fn wait_with(
        &mut self,
        fds: &mut [libc::pollfd],
        mut poll: impl FnMut(&mut [libc::pollfd]) -> Result<(), Errno>,
    ) -> Result<(), Errno> {
        loop {
            match poll(fds) {
                Ok(()) => {
                    self.pause = FIRST_PAUSE;
                    return Ok(());
                }
                Err(Errno::EINTR) => continue,
                Err(errno) => {
                    std::thread::sleep(self.pause);
                    self.pause = next_pause(self.pause);
                    for f in fds.iter_mut() {
                        f.revents = if f.fd >= 0 { libc::POLLIN } else { 0 };
                    }
                    return Err(errno);
                }
            }
        }
    }
}

fn next_pause(pause: Duration) -> Duration {
    (pause * 2).min(MAX_PAUSE)
}

/// Test builds only: `TEST_NATIVE_PARALLEL_POLL_ERRNO=<errno>` makes every poll fail with that
/// error, so the tests can check the pool and the cluster keep working (read once).
fn injected_failure() -> Option<Errno> {
    #[cfg(any(test, feature = "test-kernels"))]
    {
        static INJECTED: std::sync::OnceLock<Option<Errno>> = std::sync::OnceLock::new();
        *INJECTED.get_or_init(|| {
            std::env::var("TEST_NATIVE_PARALLEL_POLL_ERRNO")
                .ok()
                .and_then(|v| v.parse().ok())
                .map(Errno::from_raw)
                .filter(|&e| e != Errno::EINTR)
        })
    }
    #[cfg(not(any(test, feature = "test-kernels")))]
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn pauses_double_up_to_a_limit() {
        let mut pause = FIRST_PAUSE;
        let mut seen = vec![];
        for _ in 0..10 {
            seen.push(pause.as_millis());
            pause = next_pause(pause);
        }
        assert_eq!(seen, [1, 2, 4, 8, 16, 32, 64, 100, 100, 100]);
    }

    #[test]
    fn eintr_is_retried_and_other_failures_sweep_every_fd() {
        let mut poller = Poller::default();
        let mut fds = [pollfd(-1), pollfd(7), pollfd(8)];
        let mut calls = 0;
        let got = poller.wait_with(&mut fds, |_| {
            calls += 1;
            Err(if calls < 3 {
                Errno::EINTR
            } else {
                Errno::EINVAL
            })
        });
        assert_eq!((got, calls), (Err(Errno::EINVAL), 3));
        let revents: Vec<_> = fds.iter().map(|f| f.revents).collect();
        assert_eq!(revents, [0, libc::POLLIN, libc::POLLIN]);
        assert_eq!(
            poller.pause,
            FIRST_PAUSE * 2,
            "the next failure waits longer"
        );
        assert_eq!(poller.wait_with(&mut fds, |_| Ok(())), Ok(()));
        assert_eq!(
            poller.pause, FIRST_PAUSE,
            "a poll that works resets the pause"
        );
    }

    #[test]
    fn a_real_poll_reports_a_ready_fd() {
        let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        std::io::Write::write_all(&mut b, b"x").unwrap();
        let mut fds = [pollfd(a.as_raw_fd())];
        assert_eq!(Poller::default().wait(&mut fds), Ok(()));
        assert_eq!(fds[0].revents, libc::POLLIN);
    }
}
