//! Futex wait and wake on 32-bit words of shared memory, with `Atomics.wait`'s results.
//!
//! The futexes are *shared* ones (no `FUTEX_PRIVATE_FLAG`): the kernel keys them by the page
//! of the memfd and the offset in it, not by address, so a wait in one process (or through a
//! second mapping of the same memfd) is woken by a wake in another.

use std::sync::atomic::{AtomicI32, AtomicU32};
use std::time::{Duration, Instant};

use nix::errno::Errno;

/// `futex(2)` operations (from `linux/futex.h`).
const FUTEX_WAIT: libc::c_int = 0;
const FUTEX_WAKE: libc::c_int = 1;
const FUTEX_PRIVATE_FLAG: libc::c_int = 128;
/// `futex_waitv(2)` per-word flags (from `linux/futex.h`).
const FUTEX2_SIZE_U32: u32 = 0x02;
const FUTEX2_PRIVATE: u32 = 128;

/// How a wait ended, named as `Atomics.wait` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitResult {
    Ok,
    NotEqual,
    TimedOut,
}

impl WaitResult {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::NotEqual => "not-equal",
            Self::TimedOut => "timed-out",
        }
    }
}

/// Turns a JavaScript timeout (milliseconds; NaN and +Infinity mean forever, negatives 0)
/// into a deadline.
pub(crate) fn deadline(timeout_ms: f64) -> Option<Instant> {
    if timeout_ms.is_nan() || timeout_ms == f64::INFINITY {
        return None;
    }
    let ms = timeout_ms.max(0.0);
    // Anything beyond ~31 years is "forever" for practical purposes (and keeps the Duration
    // arithmetic far from overflow).
    if ms > 1e12 {
        return None;
    }
    Some(Instant::now() + Duration::from_secs_f64(ms / 1e3))
}

fn timespec(d: Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: d.as_secs().min(i64::MAX as u64) as libc::time_t,
        tv_nsec: d.subsec_nanos() as libc::c_long,
    }
}

/// Blocks until `word` is woken, its value is not `expected`, or `deadline` passes. A signal
/// that interrupts the wait restarts it with the time that is left.
pub(crate) fn wait(word: &AtomicI32, expected: i32, deadline: Option<Instant>) -> WaitResult {
    loop {
        let left = match deadline {
            None => None,
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Some(timespec(left)),
                _ => {
                    // Out of time: one last comparison, as Atomics.wait does with timeout 0.
                    return if word.load(std::sync::atomic::Ordering::SeqCst) == expected {
                        WaitResult::TimedOut
                    } else {
                        WaitResult::NotEqual
                    };
                }
            },
        };
        let ts = left.as_ref().map_or(std::ptr::null(), |t| t as *const _);
        // SAFETY: `word` is a valid, aligned i32 for the duration of the call (the caller
        // holds the mapping), and `ts` is null or points to a timespec on this stack frame.
        let r = unsafe {
            libc::syscall(
                libc::SYS_futex,
                word.as_ptr(),
                FUTEX_WAIT,
                expected,
                ts,
                std::ptr::null::<u32>(),
                0,
            )
        };
        if r == 0 {
            return WaitResult::Ok;
        }
        match Errno::last() {
            Errno::EAGAIN => return WaitResult::NotEqual,
            Errno::ETIMEDOUT => return WaitResult::TimedOut,
            _ => continue, // EINTR: go round with the time that is left
        }
    }
}

/// Wakes up to `count` waiters on `word` in any process; returns how many were woken.
pub(crate) fn wake(word: &AtomicI32, count: u32) -> u32 {
    let count = count.min(i32::MAX as u32) as i32;
    // SAFETY: `word` is a valid, aligned i32 for the duration of the call.
    let r = unsafe { libc::syscall(libc::SYS_futex, word.as_ptr(), FUTEX_WAKE, count) };
    r.max(0) as u32
}

/// Wakes every waiter on a process-private word (used to cancel [`wait_or_cancel`]).
pub(crate) fn wake_private(word: &AtomicU32) {
    // SAFETY: `word` is a valid, aligned u32 for the duration of the call.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            FUTEX_WAKE | FUTEX_PRIVATE_FLAG,
            i32::MAX,
        );
    }
}

/// One entry of `futex_waitv(2)`'s array (`struct futex_waitv`).
#[repr(C)]
struct FutexWaitv {
    val: u64,
    uaddr: u64,
    flags: u32,
    reserved: u32,
}

/// Why [`wait_or_cancel`] returned without a [`WaitResult`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cancelled;

/// [`wait`], except that it also returns (with `Err(Cancelled)`) as soon as `cancel` is
/// nonzero and woken with [`wake_private`]: one `futex_waitv(2)` sleeps on both words.
pub(crate) fn wait_or_cancel(
    word: &AtomicI32,
    expected: i32,
    deadline: Option<Instant>,
    cancel: &AtomicU32,
) -> Result<WaitResult, Cancelled> {
    use std::sync::atomic::Ordering::SeqCst;
    // futex_waitv takes an absolute CLOCK_MONOTONIC deadline, which is what Instant measures.
    let now = Instant::now();
    let mut mono = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec to a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut mono) };
    let absolute = deadline.map(|d| {
        let left = d.saturating_duration_since(now);
        let base = Duration::new(mono.tv_sec.max(0) as u64, mono.tv_nsec.max(0) as u32);
        timespec(base.saturating_add(left))
    });
    loop {
        if cancel.load(SeqCst) != 0 {
            return Err(Cancelled);
        }
        let waiters = [
            FutexWaitv {
                val: expected as u32 as u64,
                uaddr: word.as_ptr() as u64,
                flags: FUTEX2_SIZE_U32,
                reserved: 0,
            },
            FutexWaitv {
                val: 0,
                uaddr: cancel.as_ptr() as u64,
                flags: FUTEX2_SIZE_U32 | FUTEX2_PRIVATE,
                reserved: 0,
            },
        ];
        let ts = absolute
            .as_ref()
            .map_or(std::ptr::null(), |t| t as *const _);
        // SAFETY: `waiters` is an array of two valid futex_waitv entries on this stack frame
        // whose words stay valid for the call (the caller holds the mapping and `cancel`);
        // `ts` is null or points to a timespec on this frame.
        let r = unsafe {
            libc::syscall(
                libc::SYS_futex_waitv,
                waiters.as_ptr(),
                waiters.len() as libc::c_uint,
                0 as libc::c_uint,
                ts,
                libc::CLOCK_MONOTONIC,
            )
        };
        match r {
            0 => return Ok(WaitResult::Ok),
            1 => return Err(Cancelled),
            _ => {}
        }
        match Errno::last() {
            // One of the two words did not hold its expected value.
            Errno::EAGAIN if cancel.load(SeqCst) != 0 => return Err(Cancelled),
            Errno::EAGAIN => return Ok(WaitResult::NotEqual),
            Errno::ETIMEDOUT => return Ok(WaitResult::TimedOut),
            _ => continue,
        }
    }
}

#[cfg(test)]
mod test {
    use std::sync::atomic::Ordering;
    use std::sync::Arc;

    use super::*;

    #[test]
    fn results_like_atomics_wait() {
        let word = AtomicI32::new(5);
        assert_eq!(wait(&word, 4, None), WaitResult::NotEqual);
        assert_eq!(wait(&word, 5, deadline(0.0)), WaitResult::TimedOut);
        assert_eq!(wait(&word, 5, deadline(5.0)), WaitResult::TimedOut);
        assert_eq!(wake(&word, 10), 0);
        let cancel = AtomicU32::new(0);
        assert_eq!(
            wait_or_cancel(&word, 4, None, &cancel),
            Ok(WaitResult::NotEqual)
        );
        assert_eq!(
            wait_or_cancel(&word, 5, deadline(5.0), &cancel),
            Ok(WaitResult::TimedOut)
        );
    }

    #[test]
    fn wake_and_cancel_from_another_thread() {
        let word = Arc::new(AtomicI32::new(0));
        let cancel = Arc::new(AtomicU32::new(0));
        let (w, c) = (word.clone(), cancel.clone());
        let waiter = std::thread::spawn(move || wait_or_cancel(&w, 0, None, &c));
        // Wake until the waiter has gone to sleep and been woken.
        while !waiter.is_finished() {
            wake(&word, 1);
            std::thread::yield_now();
        }
        assert_eq!(waiter.join().unwrap(), Ok(WaitResult::Ok));

        let (w, c) = (word.clone(), cancel.clone());
        let waiter = std::thread::spawn(move || wait_or_cancel(&w, 0, deadline(60_000.0), &c));
        cancel.store(1, Ordering::SeqCst);
        while !waiter.is_finished() {
            wake_private(&cancel);
            std::thread::yield_now();
        }
        assert_eq!(waiter.join().unwrap(), Err(Cancelled));
    }

    #[test]
    fn deadlines() {
        assert!(deadline(f64::INFINITY).is_none());
        assert!(deadline(f64::NAN).is_none());
        assert!(deadline(1e300).is_none());
        assert!(deadline(-5.0).is_some_and(|d| d <= Instant::now()));
    }
}
