//! When waiting by spinning beats going to sleep, and when it does not.
//!
//! A tiny task's round trip crosses two threads twice: a sleeping pool thread must be woken for
//! it, and the JavaScript thread, asleep in its event loop, must be woken for its completion.
//! Each wake-up costs a few microseconds on a quiet machine and tens on a busy one, more than
//! the task itself. So both sides look for work a little longer before they sleep, but only
//! while the machine has a core to spare: a thread that spins on an oversubscribed machine
//! takes the core another thread (ours or anyone's) is waiting for.
//!
//! The spare-core check reads the kernel's count of runnable threads (`/proc/loadavg`, fourth
//! field), at most once every [`SAMPLE_EVERY`], minus the threads of ours that were spinning;
//! spinning is off while that count exceeds the cores. Where there is no `/proc/loadavg`,
//! spinning stays on (it is bounded anyway).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a pool thread that ran out of tasks looks for a new one before it goes back to
/// rayon (which sleeps soon after).
pub(super) const POOL_SPIN: Duration = Duration::from_micros(50);

/// How often the machine's load is read again.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// Threads of this process spinning right now (pool threads and JavaScript threads).
static SPINNING: AtomicUsize = AtomicUsize::new(0);
/// The last reading: true when other threads want every core.
static OVERSUBSCRIBED: AtomicBool = AtomicBool::new(false);
/// When the load was last read, in microseconds since [`epoch`] (0: never).
static SAMPLED_AT: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Cores this process may use.
pub(super) fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Whether spinning may pay off now: false while the machine is oversubscribed.
pub(super) fn allowed() -> bool {
    let now = epoch().elapsed().as_micros() as u64 + 1;
    let at = SAMPLED_AT.load(Ordering::Relaxed);
    let stale = at == 0 || now.saturating_sub(at) >= SAMPLE_EVERY.as_micros() as u64;
    // One thread reads the file; the others keep the last answer meanwhile.
    if stale
        && SAMPLED_AT
            .compare_exchange(at, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        if let Some(runnable) = runnable_threads() {
            let ours = SPINNING.load(Ordering::Relaxed);
            OVERSUBSCRIBED.store(oversubscribed(runnable, ours, cores()), Ordering::Relaxed);
        }
    }
    !OVERSUBSCRIBED.load(Ordering::Relaxed)
}

/// The rule, apart from how the numbers are read: the runnable threads other than our own
/// spinning ones, the reader itself included, want more than every core.
fn oversubscribed(runnable: usize, ours_spinning: usize, cores: usize) -> bool {
    runnable.saturating_sub(ours_spinning) > cores
}

/// Runnable threads on the machine now (`/proc/loadavg`: "0.50 0.40 0.30 2/345 6789").
fn runnable_threads() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    parse_runnable(&text)
}

fn parse_runnable(loadavg: &str) -> Option<usize> {
    let field = loadavg.split_whitespace().nth(3)?;
    field.split('/').next()?.parse().ok()
}

/// Counts the calling thread as spinning while the guard lives.
#[derive(Debug)]
pub(super) struct Spinning(());

impl Spinning {
    pub(super) fn start() -> Self {
        SPINNING.fetch_add(1, Ordering::Relaxed);
        Self(())
    }
}

impl Drop for Spinning {
    fn drop(&mut self) {
        SPINNING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Calls `ready` until it returns `Some` or `limit` has passed: a short busy wait, then a
/// `yield` between checks, so a thread that spins on a busy core gives it up at once.
pub(super) fn spin_for<T>(limit: Duration, mut ready: impl FnMut() -> Option<T>) -> Option<T> {
    if limit.is_zero() {
        return None;
    }
    let _spinning = Spinning::start();
    let start = Instant::now();
    loop {
        for _ in 0..64 {
            std::hint::spin_loop();
        }
        if let Some(found) = ready() {
            return Some(found);
        }
        if start.elapsed() >= limit {
            return None;
        }
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn loadavg_runnable_field_is_read() {
        assert_eq!(parse_runnable("0.50 0.40 0.30 2/345 6789\n"), Some(2));
        assert_eq!(parse_runnable("0.50 0.40 0.30 17/345 6789"), Some(17));
        assert_eq!(parse_runnable("garbage"), None);
        assert_eq!(parse_runnable(""), None);
    }

    #[test]
    fn our_own_spinning_threads_do_not_count_as_load() {
        assert!(
            !oversubscribed(3, 2, 2),
            "one reader and two spinners of ours"
        );
        assert!(!oversubscribed(2, 0, 2));
        assert!(oversubscribed(3, 0, 2));
        assert!(oversubscribed(5, 1, 2));
        assert!(!oversubscribed(0, 3, 2), "readings race with the counter");
    }

    #[test]
    fn spin_for_returns_what_is_ready_or_gives_up() {
        assert_eq!(spin_for(Duration::from_millis(10), || Some(7)), Some(7));
        let mut calls = 0;
        let found = spin_for(Duration::from_millis(10), || {
            calls += 1;
            (calls == 3).then_some(calls)
        });
        assert_eq!(found, Some(3));
        assert_eq!(spin_for(Duration::from_micros(100), || None::<()>), None);
        assert_eq!(
            spin_for(Duration::ZERO, || Some(1)),
            None,
            "no limit, no look"
        );
    }
}
