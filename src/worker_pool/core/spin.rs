//! Spinning: a Worker that finds the queue empty may watch it for a short, bounded time
//! before it parks. A task that arrives meanwhile is taken at once, and the owner, seeing a
//! spinner, does not wake anyone: no `Atomics.notify`, no wake-up of a sleeping thread, the
//! two costs that dominate a one-at-a-time round trip.
//!
//! Bounded twice: each spin lasts at most the budget the Worker asks for, and at most
//! [`Spinners::limit`] Workers of a pool spin at once (one less than the cores, at least one),
//! so spinners never take every core from the owner thread that submits the tasks or from
//! Workers running tasks.
//!
//! The owner can watch too: [`super::Core::poll`] waits a short while for a completion on the
//! owner's thread, and while it does, Workers that complete a task do not wake it (the same
//! store, SeqCst fence, load on both sides as below: a Worker that saw the owner watching
//! pushed its completion before the owner's last look).
//!
//! Why a skipped wake loses no task (with "Parking" in the parent module): a spinner
//! decrements the count *before* it parks (`PARKED`, SeqCst fence, look at the queue), and
//! the owner reads the count after its push and SeqCst fence. If the owner saw the spinner,
//! its read comes before the decrement in the single SeqCst order, so the spinner's last look
//! comes after the push and sees the task (or a Worker took it, and any Worker that takes a
//! task looks at the queue again once it is done).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct Spinners {
    count: AtomicUsize,
    limit: usize,
}

impl Spinners {
    pub(super) fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            count: AtomicUsize::new(0),
            limit: cores.saturating_sub(1).max(1),
        }
    }

    /// How many Workers may spin at once.
    #[cfg(test)]
    pub(super) fn limit(&self) -> usize {
        self.limit
    }

    /// Workers spinning now (read by the owner after its push and fence).
    pub(super) fn now(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Watches `ready` for up to `budget` unless [`Spinners::limit`] Workers spin already;
    /// returns what `ready` found, or `None`. The count is given back before returning, so
    /// the caller may park right after.
    pub(super) fn spin<T>(&self, budget: Duration, ready: impl FnMut() -> Option<T>) -> Option<T> {
        if budget.is_zero() {
            return None;
        }
        let mut cur = self.count.load(Ordering::Relaxed);
        loop {
            if cur >= self.limit {
                return None;
            }
            match self.count.compare_exchange_weak(
                cur,
                cur + 1,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => cur = now,
            }
        }
        let found = watch(budget, ready);
        self.count.fetch_sub(1, Ordering::SeqCst);
        found
    }
}

/// Calls `ready` until it finds something or `budget` has passed.
pub(super) fn watch<T>(budget: Duration, mut ready: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + budget;
    loop {
        if let Some(found) = ready() {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return None;
        }
        // Yield rather than burn: on a busy machine (more runnable threads than cores) the
        // thread this one waits for may be waiting for this very core.
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_spin_ends_when_ready_or_after_its_budget_and_gives_its_place_back() {
        let spinners = Spinners::new();
        assert_eq!(
            spinners.spin(Duration::ZERO, || Some(1)),
            None,
            "no budget, no spin"
        );
        let mut looks = 0;
        assert_eq!(
            spinners.spin(Duration::from_secs(5), || {
                looks += 1;
                (looks == 3).then_some(7)
            }),
            Some(7)
        );
        let t0 = Instant::now();
        assert_eq!(
            spinners.spin(Duration::from_millis(2), || None::<u32>),
            None
        );
        assert!(t0.elapsed() >= Duration::from_millis(2));
        assert_eq!(spinners.now(), 0);
    }

    #[test]
    fn no_more_than_the_limit_spin_at_once() {
        let spinners = Spinners::new();
        let inner = std::cell::Cell::new(None);
        // While one spins (inside its `ready`), as many more as the limit allows get in, and
        // the next one does not.
        fn nest(s: &Spinners, depth: usize, max: &std::cell::Cell<Option<usize>>) {
            let got_in = s
                .spin(Duration::from_secs(5), || {
                    nest(s, depth + 1, max);
                    Some(())
                })
                .is_some();
            if !got_in && max.get().is_none() {
                max.set(Some(depth));
            }
        }
        nest(&spinners, 0, &inner);
        assert_eq!(inner.get(), Some(spinners.limit()));
        assert_eq!(spinners.now(), 0);
    }
}
