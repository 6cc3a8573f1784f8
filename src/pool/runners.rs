//! The pool's FIFO queue and the runners that empty it.
//!
//! A rayon job per task means a boxed job, a push on rayon's injector and often a wake-up per
//! task, paid on the JavaScript thread. Instead tasks wait in one FIFO queue, and a *runner*
//! (a long rayon job) takes them in order until the queue is empty, then retires. Submitting
//! starts a runner only when fewer are active than there are tasks to run (up to one per
//! thread); a burst of tasks costs a few rayon jobs, not one each.
//!
//! The one rule that keeps a task from being stranded (queued with no runner to take it):
//!
//! 1. the submitter pushes, then reads `active` (both sequentially consistent);
//! 2. a retiring runner decrements `active`, then looks at the queue again (same ordering);
//! 3. so either the submitter sees the runner gone and starts one, or the runner sees the
//!    task, claims its place back and runs it. If the pool is full (`active == max`) the
//!    runners that are active will see it before they retire, by the same argument.

use std::sync::atomic::{AtomicUsize, Ordering};

use crossbeam::queue::SegQueue;

/// A FIFO queue of `T` and the count of runners working on it.
#[derive(Debug)]
pub(super) struct Runners<T> {
    queue: SegQueue<T>,
    active: AtomicUsize,
    max: usize,
}

impl<T> Runners<T> {
    /// A queue worked on by at most `max` runners at once.
    pub(super) fn new(max: usize) -> Self {
        Self {
            queue: SegQueue::new(),
            active: AtomicUsize::new(0),
            max: max.max(1),
        }
    }

    /// Queues `item` (step 1 of the rule in the module docs is `push` then [`Self::claim`]).
    pub(super) fn push(&self, item: T) {
        self.queue.push(item);
    }

    /// After pushing: claims places for new runners so that `min(waiting, max)` are active;
    /// returns how many the caller must start (each calls [`Self::next`] until `None`).
    pub(super) fn claim(&self, waiting: usize) -> usize {
        let want = waiting.min(self.max);
        let mut started = 0;
        let mut active = self.active.load(Ordering::SeqCst);
        while active < want {
            match self.active.compare_exchange(
                active,
                active + 1,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => {
                    started += 1;
                    active += 1;
                }
                Err(now) => active = now,
            }
        }
        started
    }

    /// A runner's next item. `None` means the queue was empty and the runner has retired (its
    /// place is given back): it must return.
    pub(super) fn next(&self) -> Option<T> {
        loop {
            if let Some(item) = self.queue.pop() {
                return Some(item);
            }
            // Step 2: retire, then look again.
            self.active.fetch_sub(1, Ordering::SeqCst);
            if self.queue.is_empty() || !self.reclaim() {
                return None;
            }
        }
    }

    /// Takes a runner's place back (after retiring and then seeing work). False when every
    /// place is taken: those runners will see the work themselves.
    fn reclaim(&self) -> bool {
        let mut active = self.active.load(Ordering::SeqCst);
        while active < self.max {
            match self.active.compare_exchange(
                active,
                active + 1,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return true,
                Err(now) => active = now,
            }
        }
        false
    }

    /// Runners active now (for tests and counters).
    #[cfg(test)]
    pub(super) fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use std::sync::atomic::AtomicU64;
    use std::sync::{Arc, Mutex};

    #[test]
    fn claims_one_runner_per_waiting_item_up_to_max() {
        let r = Runners::<u32>::new(2);
        r.push(1);
        assert_eq!(r.claim(1), 1);
        assert_eq!(r.claim(1), 0, "a runner is active already");
        r.push(2);
        r.push(3);
        assert_eq!(r.claim(3), 1, "up to max");
        assert_eq!(r.claim(9), 0);
        assert_eq!(r.active(), 2);
    }

    #[test]
    fn a_runner_takes_items_in_order_then_retires() {
        let r = Runners::new(1);
        for i in 0..5 {
            r.push(i);
        }
        assert_eq!(r.claim(5), 1);
        let mut seen = Vec::new();
        while let Some(i) = r.next() {
            seen.push(i);
        }
        assert_eq!(seen, [0, 1, 2, 3, 4]);
        assert_eq!(r.active(), 0, "the place was given back");
        r.push(5);
        assert_eq!(r.claim(1), 1, "a new runner can start");
    }

    /// Many submitters and short-lived runners that retire as often as they can: every item
    /// is run exactly once, none is stranded.
    #[test]
    fn no_item_is_stranded_or_run_twice() {
        const ITEMS: u64 = 20_000;
        let r = Arc::new(Runners::new(3));
        let sum = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicU64::new(0));
        let handles = Arc::new(Mutex::new(Vec::new()));
        let start_runner = {
            let (r, sum, done) = (r.clone(), sum.clone(), done.clone());
            move || {
                let (r, sum, done) = (r.clone(), sum.clone(), done.clone());
                std::thread::spawn(move || {
                    while let Some(i) = r.next() {
                        sum.fetch_add(i, Ordering::Relaxed);
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                })
            }
        };
        let submitters: Vec<_> = (0..2u64)
            .map(|s| {
                let (r, handles, start_runner) = (r.clone(), handles.clone(), start_runner.clone());
                std::thread::spawn(move || {
                    for i in (s..ITEMS).step_by(2) {
                        r.push(i);
                        for _ in 0..r.claim(1) {
                            handles.lock().unwrap().push(start_runner());
                        }
                    }
                })
            })
            .collect();
        for s in submitters {
            s.join().unwrap();
        }
        loop {
            let batch: Vec<_> = std::mem::take(&mut *handles.lock().unwrap());
            if batch.is_empty() {
                break;
            }
            for h in batch {
                h.join().unwrap();
            }
        }
        assert_eq!(done.load(Ordering::SeqCst), ITEMS);
        assert_eq!(sum.load(Ordering::SeqCst), ITEMS * (ITEMS - 1) / 2);
        assert_eq!(r.active(), 0);
        assert!(r.queue.is_empty());
    }
}
