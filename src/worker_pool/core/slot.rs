//! One Worker's place in the pool: how many tasks it runs now, and whether it is parked or
//! retired ("Parking" in the parent module's docs). Every change is one atomic operation on
//! one state word, so the owner and the Worker never need a lock to agree.

use std::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};

/// A slot's state word holds the count of tasks its Worker runs now (low bits) and these
/// flags. Set once the slot may take no more tasks (retired idle, or its Worker is gone).
const RETIRED: u32 = 1 << 31;
/// Set by the Worker when it found the queue empty and waits on its own wake word; cleared by
/// the owner that claims it to wake it for a new task, or by the Worker when it takes a task.
const PARKED: u32 = 1 << 30;

/// One Worker's place in the pool.
#[derive(Debug)]
pub(crate) struct Slot {
    /// Tasks the Worker runs now, with [`PARKED`] and [`RETIRED`].
    state: AtomicU32,
    /// When it last became idle, in nanoseconds since the pool's epoch.
    idle_since_ns: AtomicU64,
}

impl Slot {
    pub(super) fn new(now_ns: u64) -> Self {
        Self {
            state: AtomicU32::new(0),
            idle_since_ns: AtomicU64::new(now_ns),
        }
    }

    /// Counts one more task as running *before* the Worker looks at the queue, so that
    /// [`Slot::retire_if_idle`] (which needs the count at zero) can never retire a Worker that
    /// is about to run something. `None` when the slot is retired; else whether it was parked.
    pub(super) fn enter(&self) -> Option<bool> {
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            if cur & RETIRED != 0 {
                return None;
            }
            match self.state.compare_exchange_weak(
                cur,
                cur + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(cur & PARKED != 0),
                Err(now) => cur = now,
            }
        }
    }

    /// Takes back the count of [`Slot::enter`] (the task finished, or there was none).
    pub(super) fn leave(&self, now_ns: u64) {
        self.idle_since_ns.store(now_ns, Ordering::Release);
        self.state.fetch_sub(1, Ordering::AcqRel);
    }

    /// Parking, step 1: the Worker says it waits. The caller must look at the queue again.
    pub(super) fn park(&self) {
        self.state.fetch_or(PARKED, Ordering::SeqCst);
        fence(Ordering::SeqCst);
    }

    /// The Worker is not waiting any more (an owner that claims it meanwhile wakes it in vain).
    pub(super) fn unpark(&self) {
        self.state.fetch_and(!PARKED, Ordering::AcqRel);
    }

    /// Parking, step 2 (after the owner's fence): claims this Worker to wake it, if it is
    /// parked and not retired. True at most once per park.
    pub(super) fn claim(&self) -> bool {
        let parked = self.state.load(Ordering::Relaxed) & (PARKED | RETIRED) == PARKED;
        parked && self.state.fetch_and(!PARKED, Ordering::AcqRel) & PARKED != 0
    }

    /// Marks the slot retired whatever it does (its Worker is gone).
    pub(super) fn retire(&self) {
        self.state.fetch_or(RETIRED, Ordering::AcqRel);
    }

    /// True while the Worker runs nothing and waits, unclaimed.
    pub(super) fn is_idle_parked(&self) -> bool {
        self.state.load(Ordering::Acquire) == PARKED
    }

    /// Parking, step 3: retires the slot if it has been idle, parked and unclaimed for
    /// `idle_ms`. `None` when it was retired, else how many more milliseconds it must stay
    /// idle (infinite while it runs something or was claimed for a wake).
    pub(super) fn retire_if_idle(&self, now_ns: u64, idle_ms: f64) -> Option<f64> {
        if !self.is_idle_parked() {
            return Some(f64::INFINITY);
        }
        let since = self.idle_since_ns.load(Ordering::Acquire);
        let idle_for = now_ns.saturating_sub(since) as f64 / 1e6;
        if idle_for < idle_ms {
            return Some(idle_ms - idle_for);
        }
        match self
            .state
            .compare_exchange(PARKED, RETIRED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => None,
            Err(_) => Some(f64::INFINITY),
        }
    }
}
