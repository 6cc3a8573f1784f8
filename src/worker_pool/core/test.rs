//! Unit tests of the queue, the task state words and parking (no JavaScript involved).

use super::*;

impl Core {
    /// `take` without spinning (the tests below are about parking).
    fn take_now(&self, slot_id: u32, slot: &Slot) -> Take {
        self.take(slot_id, slot, Duration::ZERO)
    }
}

/// A core whose completion callback counts as closed (there is no JavaScript here).
fn core() -> Core {
    let core = Core::new();
    core.channel.mark_closed();
    core
}

fn done(id: u32) -> Completion {
    Completion {
        id,
        slot: 0,
        outcome: 0,
        run_ms: 0.0,
        wait_ms: 0.0,
        bytes: vec![id as u8],
    }
}

fn take(core: &Core, slot_id: u32, slot: &Slot) -> Option<Taken> {
    match core.take_now(slot_id, slot) {
        Take::Task(t) => Some(t),
        _ => None,
    }
}

#[test]
fn tasks_are_taken_in_submission_order_and_reported_once() {
    let core = core();
    let slot = core.add_slot(3);
    assert_eq!(core.push(1, 0, 0, vec![1]), Some(true));
    assert_eq!(core.push(2, 0, 0, vec![2]), Some(false));
    assert_eq!(
        core.push(2, 0, 0, vec![2]),
        None,
        "an id still unsettled is refused"
    );
    assert_eq!(core.queued(), 2);
    let a = take(&core, 3, &slot).expect("a task");
    let b = take(&core, 3, &slot).expect("a task");
    assert_eq!((a.id, b.id), (1, 2));
    assert!(take(&core, 3, &slot).is_none());
    core.complete(3, &slot, &a.state, done(1));
    core.complete(3, &slot, &b.state, done(2));
    let (batch, idle) = core.take_completions();
    assert_eq!(batch.iter().map(|c| c.id).collect::<Vec<_>>(), [1, 2]);
    assert!(idle);
    assert!(slot.is_idle_parked());
}

#[test]
fn a_cancelled_task_is_never_taken() {
    let core = core();
    let slot = core.add_slot(0);
    core.push(1, 0, 0, vec![]);
    core.push(2, 0, 0, vec![]);
    assert_eq!(core.cancel(1), Cancel::Dropped);
    assert_eq!(core.queued(), 1);
    let t = take(&core, 0, &slot).expect("task 2");
    assert_eq!(t.id, 2);
    assert_eq!(core.cancel(2), Cancel::Running(0));
    assert_eq!(core.cancel(7), Cancel::Unknown);
}

#[test]
fn a_gone_worker_loses_only_its_own_tasks_and_its_late_completions_are_dropped() {
    let core = core();
    let s0 = core.add_slot(0);
    let s1 = core.add_slot(1);
    core.push(1, 0, 0, vec![]);
    core.push(2, 0, 0, vec![]);
    core.push(3, 0, 0, vec![]);
    let t1 = take(&core, 0, &s0).expect("task");
    let t2 = take(&core, 1, &s1).expect("task");
    assert_eq!(core.worker_gone(0), vec![1]);
    assert!(matches!(core.take_now(0, &s0), Take::Retired));
    core.complete(0, &s0, &t1.state, done(1));
    core.complete(1, &s1, &t2.state, done(2));
    let (batch, idle) = core.take_completions();
    assert_eq!(batch.iter().map(|c| c.id).collect::<Vec<_>>(), [2]);
    assert!(!idle, "task 3 is still queued");
    assert_eq!(core.cancel_queued(), vec![3]);
    assert_eq!(core.unsettled(), 0);
}

#[test]
fn only_an_idle_parked_unclaimed_slot_is_retired() {
    let core = core();
    let slot = core.add_slot(5);
    core.push(1, 0, 0, vec![]);
    let t = take(&core, 5, &slot).expect("task");
    assert_eq!(core.retire_if_idle(5, 0.0), Some(f64::INFINITY));
    core.complete(5, &slot, &t.state, done(1));
    // Finished but not parked yet: it is about to look at the queue again.
    assert_eq!(core.retire_if_idle(5, 0.0), Some(f64::INFINITY));
    assert!(matches!(core.take_now(5, &slot), Take::Empty));
    assert!(core.retire_if_idle(5, 60_000.0).is_some_and(|ms| ms > 0.0));
    assert_eq!(core.retire_if_idle(5, 0.0), None);
    core.push(2, 0, 0, vec![]);
    assert!(matches!(core.take_now(5, &slot), Take::Retired));
    assert_eq!(core.queued(), 1);
}

#[test]
fn a_parked_worker_is_claimed_once_and_a_claimed_one_is_not_retired() {
    let core = core();
    let s0 = core.add_slot(0);
    let s1 = core.add_slot(1);
    let slots = vec![(0, s0.clone()), (1, s1.clone())];
    // Nobody parked yet: Workers that have not looked at the queue are not woken.
    core.push(1, 0, 0, vec![]);
    assert_eq!(core.claim_parked(&slots), None);
    assert_eq!(take(&core, 0, &s0).map(|t| t.id), Some(1));
    assert!(matches!(core.take_now(1, &s1), Take::Empty));
    // s1 is parked: the next task claims it, and only once.
    core.push(2, 0, 0, vec![]);
    assert_eq!(core.claim_parked(&slots), Some(1));
    assert_eq!(core.claim_parked(&slots), None);
    // Claimed for a wake, it stays however long it was idle.
    assert_eq!(core.retire_if_idle(1, 0.0), Some(f64::INFINITY));
    assert_eq!(take(&core, 1, &s1).map(|t| t.id), Some(2));
}

#[test]
fn a_task_pushed_while_a_worker_parks_is_never_left_behind() {
    no_task_left_behind(Duration::ZERO);
}

#[test]
fn a_task_pushed_while_a_worker_spins_or_stops_spinning_is_never_left_behind() {
    // The owner skips the wake while it sees a spinner: the spinner's last look before it
    // parks must then find the task. Short spins make the two race often.
    no_task_left_behind(Duration::from_micros(3));
}

fn no_task_left_behind(spin: Duration) {
    // A Worker thread that really waits on its wake word (as the JS runtime does with
    // Atomics.waitAsync), racing an owner that pushes and wakes only a claimed Worker.
    // A lost wake-up leaves a task queued with the Worker asleep: the owner sees no
    // progress and the test fails instead of hanging.
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;
    const ROUNDS: u32 = 20_000;
    let core = Arc::new(core());
    let slot = core.add_slot(0);
    let slots = vec![(0, slot.clone())];
    let wake = Arc::new(AtomicU32::new(0));
    let finished = Arc::new(AtomicU32::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let (core, slot, wake, finished, stop) = (
            core.clone(),
            slot.clone(),
            wake.clone(),
            finished.clone(),
            stop.clone(),
        );
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let seen = wake.load(Ordering::SeqCst);
                match core.take(0, &slot, spin) {
                    Take::Task(t) => {
                        core.complete(0, &slot, &t.state, done(t.id));
                        finished.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => {
                        while wake.load(Ordering::SeqCst) == seen && !stop.load(Ordering::SeqCst) {
                            std::thread::yield_now();
                        }
                    }
                }
            }
        })
    };
    let mut lost = None;
    for id in 0..ROUNDS {
        core.push(id, 0, 0, vec![]);
        if core.claim_parked(&slots).is_some() {
            wake.fetch_add(1, Ordering::SeqCst);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while finished.load(Ordering::SeqCst) <= id {
            if Instant::now() > deadline {
                lost = Some(id);
                break;
            }
            std::thread::yield_now();
        }
        if lost.is_some() {
            break;
        }
    }
    stop.store(true, Ordering::SeqCst);
    worker.join().expect("worker thread");
    assert_eq!(lost, None, "a task stayed queued while its Worker slept");
    assert_eq!(core.take_completions().0.len() as u32, ROUNDS);
}

#[test]
fn concurrent_takers_run_every_task_exactly_once() {
    let core = Arc::new(core());
    const N: u32 = 20_000;
    for id in 0..N {
        core.push(id, 0, 0, vec![]);
    }
    let handles: Vec<_> = (0..4u32)
        .map(|s| {
            let core = core.clone();
            let slot = core.add_slot(s);
            std::thread::spawn(move || {
                let mut n = 0u32;
                while let Take::Task(t) = core.take_now(s, &slot) {
                    core.complete(s, &slot, &t.state, done(t.id));
                    n += 1;
                }
                n
            })
        })
        .collect();
    // Cancel some while the takers run: each is either dropped or taken, never both.
    let mut dropped = 0;
    for id in (0..N).step_by(7) {
        if core.cancel(id) == Cancel::Dropped {
            dropped += 1;
        }
    }
    let ran: u32 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    assert_eq!(ran + dropped, N);
    let (batch, idle) = core.take_completions();
    assert_eq!(batch.len() as u32, ran);
    assert!(idle);
}

#[test]
fn routes_are_numbered_once() {
    let core = core();
    assert_eq!(core.route("a.js".into(), "default".into()), 0);
    assert_eq!(core.route("b.js".into(), "default".into()), 1);
    assert_eq!(core.route("a.js".into(), "default".into()), 0);
    assert_eq!(core.route_of(1), Some(("b.js".into(), "default".into())));
    assert_eq!(core.route_of(2), None);
}
