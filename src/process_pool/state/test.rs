//! Unit tests of the books: which part goes to which child, and how tasks end, when children
//! report, die, or are cancelled. No child is forked: the tests play the children's part by
//! calling the events and reading the actions. Segments mapped and unmapped: `test/mapping.rs`.

use std::collections::HashMap;
use std::sync::Arc;

mod mapping;

use super::*;
use crate::core::task::Outcome;
use crate::kernels::ElemKind;
use crate::process_pool::kernels::Finish;
use crate::process_pool::protocol::{Loc, Reply, ViewSpec};

const SIGKILL: i32 = 9;

/// An action, in words the tests compare.
#[derive(Debug, PartialEq)]
enum Did {
    /// `task`'s part `part` went to `slot`, with these segments mapped and unmapped first.
    Run {
        slot: SlotId,
        task: u32,
        part: usize,
        map: Vec<u64>,
        unmap: Vec<u64>,
    },
    Unmap(SlotId, u64),
    Cancel(SlotId),
    /// The task ended: its outcome, its value (the parts' sum) and the signal that ended it.
    Settle(u32, Outcome, f64, i32),
    Replace,
}

/// The books, and the sequence number of the part each child was last handed.
struct Books {
    state: State,
    seqs: HashMap<SlotId, u64>,
}

impl Books {
    fn new(processes: usize) -> Self {
        Self {
            state: State::new(processes),
            seqs: HashMap::new(),
        }
    }

    fn did(&mut self, actions: Vec<Action>) -> Vec<Did> {
        actions
            .into_iter()
            .map(|a| match a {
                Action::Run {
                    slot,
                    seq,
                    part,
                    unmap,
                    map,
                } => {
                    self.seqs.insert(slot, seq);
                    let ids = part.params();
                    Did::Run {
                        slot,
                        task: ids[0] as u32,
                        part: ids[1] as usize,
                        map: map.iter().map(|s| s.id()).collect(),
                        unmap,
                    }
                }
                Action::Unmap { slot, segment } => Did::Unmap(slot, segment),
                Action::Cancel { slot } => Did::Cancel(slot),
                Action::Settle { id, task } => {
                    let c = complete(id, task);
                    Did::Settle(c.id, c.outcome, c.value, c.signal)
                }
                Action::Replace => Did::Replace,
            })
            .collect()
    }

    fn add_child(&mut self) -> (SlotId, Vec<Did>) {
        let (slot, actions) = self.state.add_child();
        (slot, self.did(actions))
    }

    fn children(&mut self, n: usize) -> Vec<SlotId> {
        (0..n).map(|_| self.add_child().0).collect()
    }

    fn submit(&mut self, id: u32, task: Task) -> Vec<Did> {
        let actions = self.state.submit(id, task);
        self.did(actions)
    }

    /// The child of `slot` reports its part: ok with `value`, or another outcome.
    fn report(&mut self, slot: SlotId, outcome: PartOutcome, value: f64) -> Vec<Did> {
        let seq = self.seqs[&slot];
        let done = match outcome {
            PartOutcome::Ok => Done::ok(seq, Reply::Value(value)),
            other => Done::new(seq, other, 0.0, "it said no"),
        };
        let actions = self.state.done(slot, done);
        self.did(actions)
    }

    fn ok(&mut self, slot: SlotId, value: f64) -> Vec<Did> {
        self.report(slot, PartOutcome::Ok, value)
    }

    /// The child of `slot` was killed; `started`: it had started the part it was handed.
    fn killed(&mut self, slot: SlotId, started: bool) -> Vec<Did> {
        let seq = self.seqs.get(&slot).copied().unwrap_or(0);
        let exit = Exit {
            code: -1,
            signal: SIGKILL,
            started: if started { seq } else { seq.saturating_sub(1) },
        };
        let actions = self.state.exited(slot, exit);
        self.did(actions)
    }

    fn cancel(&mut self, id: u32) -> Vec<Did> {
        let actions = self.state.cancel(id);
        self.did(actions)
    }

    fn forget(&mut self, segment: u64) -> Vec<Did> {
        let actions = self.state.forget(segment);
        self.did(actions)
    }
}

/// Part `part` of task `task`, with views over `segments`.
fn part(task: u32, part: usize, segments: &[u64]) -> PartSpec {
    let views: Vec<ViewSpec> = segments
        .iter()
        .map(|&id| ViewSpec {
            loc: Loc::Segment { id, offset: 0 },
            len: 1,
            kind: ElemKind::F64,
        })
        .collect();
    PartSpec::new(0, &[task.into(), part as f64], &views).unwrap()
}

/// Task `id` of `parts` parts run by persistent children, summing the parts' values.
fn task(id: u32, parts: usize) -> Task {
    let parts = (0..parts).map(|p| part(id, p, &[])).collect();
    Task::new(parts, Vec::new(), Finish::Sum, false)
}

/// Task `id` of one part whose views lie in `segments`.
fn task_over(id: u32, segments: &[Arc<Segment>]) -> Task {
    let ids: Vec<u64> = segments.iter().map(|s| s.id()).collect();
    let parts = vec![part(id, 0, &ids)];
    Task::new(parts, segments.to_vec(), Finish::Sum, false)
}

fn run(slot: SlotId, task: u32, part: usize) -> Did {
    Did::Run {
        slot,
        task,
        part,
        map: Vec::new(),
        unmap: Vec::new(),
    }
}

#[test]
fn parts_wait_in_the_queue_until_a_child_is_idle() {
    let mut books = Books::new(1);
    assert_eq!(books.submit(1, task(1, 2)), []);
    let (a, did) = books.add_child();
    assert_eq!(did, [run(a, 1, 0)]);
    // The second part waits for the only child.
    assert_eq!(books.ok(a, 1.0), [run(a, 1, 1)]);
    assert_eq!(books.ok(a, 2.0), [Did::Settle(1, Outcome::Ok, 3.0, 0)]);
}

#[test]
fn parts_go_out_in_submission_order_with_fresh_sequence_numbers() {
    let mut books = Books::new(2);
    let [a, b] = books.children(2)[..] else {
        unreachable!()
    };
    assert_eq!(books.submit(1, task(1, 3)), [run(a, 1, 0), run(b, 1, 1)]);
    assert_eq!(books.submit(2, task(2, 1)), []);
    let first = books.seqs[&a];
    assert_eq!(books.ok(a, 0.0), [run(a, 1, 2)]);
    assert!(books.seqs[&a] > books.seqs[&b] && books.seqs[&b] > first);
    assert_eq!(books.ok(b, 0.0), [run(b, 2, 0)]);
}

#[test]
fn a_task_settles_once_every_part_has_reported() {
    let mut books = Books::new(2);
    let [a, b] = books.children(2)[..] else {
        unreachable!()
    };
    books.submit(1, task(1, 2));
    assert_eq!(books.ok(b, 2.0), []);
    assert_eq!(books.ok(a, 0.5), [Did::Settle(1, Outcome::Ok, 2.5, 0)]);
    // A task with no part settles at once.
    assert_eq!(
        books.submit(2, task(2, 0)),
        [Did::Settle(2, Outcome::Ok, 0.0, 0)]
    );
}

#[test]
fn a_report_for_another_part_is_ignored() {
    let mut books = Books::new(1);
    let [a] = books.children(1)[..] else {
        unreachable!()
    };
    books.submit(1, task(1, 1));
    let stale = Done::ok(books.seqs[&a] + 7, Reply::Value(1.0));
    assert!(books.state.done(a, stale).is_empty());
    assert_eq!(books.ok(a, 1.0), [Did::Settle(1, Outcome::Ok, 1.0, 0)]);
}

#[test]
fn cancelling_a_queued_task_drops_its_parts() {
    let mut books = Books::new(1);
    let [a] = books.children(1)[..] else {
        unreachable!()
    };
    books.submit(1, task(1, 1));
    books.submit(2, task(2, 2));
    assert_eq!(
        books.cancel(2),
        [Did::Settle(2, Outcome::Cancelled, 0.0, 0)]
    );
    // The child goes idle: nothing of task 2 is handed out.
    assert_eq!(books.ok(a, 1.0), [Did::Settle(1, Outcome::Ok, 1.0, 0)]);
    assert_eq!(books.cancel(2), []);
}

#[test]
fn cancelling_a_running_task_raises_its_childrens_flags_and_waits_for_them() {
    let mut books = Books::new(3);
    let [a, b, c] = books.children(3)[..] else {
        unreachable!()
    };
    books.submit(1, task(1, 1));
    books.submit(2, task(2, 3));
    // Task 2 runs on b and c, its third part is queued.
    assert_eq!(books.cancel(2), [Did::Cancel(b), Did::Cancel(c)]);
    assert_eq!(books.report(b, PartOutcome::Cancelled, 0.0), []);
    // A part that finished before it saw the flag counts nothing: the task is cancelled.
    assert_eq!(
        books.ok(c, 5.0),
        [Did::Settle(2, Outcome::Cancelled, 0.0, 0)]
    );
    assert_eq!(books.ok(a, 1.0), [Did::Settle(1, Outcome::Ok, 1.0, 0)]);
}

#[test]
fn a_failed_part_stops_the_other_parts_of_its_task() {
    let mut books = Books::new(2);
    let [a, b] = books.children(2)[..] else {
        unreachable!()
    };
    books.submit(1, task(1, 3));
    books.submit(2, task(2, 1));
    // The child panicked: it retires (no more parts), its task's other part is flagged.
    assert_eq!(
        books.report(a, PartOutcome::Panicked, 0.0),
        [Did::Cancel(b)]
    );
    assert!(books.state.retiring(a));
    // The third part is never handed out; b takes task 2 once it is back.
    let did = books.report(b, PartOutcome::Cancelled, 0.0);
    assert_eq!(
        did,
        [Did::Settle(1, Outcome::Panicked, 0.0, 0), run(b, 2, 0)]
    );
    assert_eq!(books.killed(a, false), [Did::Replace]);
    assert_eq!(books.ok(b, 1.0), [Did::Settle(2, Outcome::Ok, 1.0, 0)]);
}

#[test]
fn a_part_whose_child_died_before_starting_it_runs_on_another_child_first() {
    let mut books = Books::new(2);
    let [a, b] = books.children(2)[..] else {
        unreachable!()
    };
    books.submit(1, task(1, 2));
    books.submit(2, task(2, 1));
    // a never started part 0: it goes back to the front of the queue (before task 2).
    assert_eq!(books.killed(a, false), [Did::Replace]);
    assert_eq!(books.ok(b, 1.0), [run(b, 1, 0)]);
    assert_eq!(
        books.ok(b, 2.0),
        [Did::Settle(1, Outcome::Ok, 3.0, 0), run(b, 2, 0)]
    );
    // The replacement takes the next part.
    let (c, did) = books.add_child();
    assert_eq!(did, []);
    books.submit(3, task(3, 1));
    assert_eq!(books.seqs.get(&c).copied(), Some(books.seqs[&b] + 1));
}

#[test]
fn a_part_whose_child_died_after_starting_it_fails_its_task_once_the_rest_are_back() {
    let mut books = Books::new(2);
    let [a, b] = books.children(2)[..] else {
        unreachable!()
    };
    books.submit(1, task(1, 3));
    // The part may have written half its output: not run again; the task's others stop.
    assert_eq!(books.killed(a, true), [Did::Cancel(b), Did::Replace]);
    // A part of a failed task that another dead child never started is not run again.
    assert_eq!(
        books.killed(b, false),
        [Did::Settle(1, Outcome::Exited, 0.0, SIGKILL), Did::Replace]
    );
}

#[test]
fn a_cancelled_task_does_not_run_a_part_given_back() {
    let mut books = Books::new(2);
    let [a] = books.children(1)[..] else {
        unreachable!()
    };
    books.submit(1, task(1, 1));
    assert_eq!(books.cancel(1), [Did::Cancel(a)]);
    assert_eq!(
        books.killed(a, false),
        [Did::Settle(1, Outcome::Cancelled, 0.0, 0), Did::Replace]
    );
    assert_eq!(books.add_child().1, []);
}

#[test]
fn lost_hand_offs_are_bounded() {
    let processes = 2;
    let mut books = Books::new(processes);
    books.submit(1, task(1, 1));
    for _ in 0..MAX_LOST_PER_PROCESS * processes {
        let (slot, did) = books.add_child();
        assert_eq!(did, [run(slot, 1, 0)]);
        assert_eq!(books.killed(slot, false), [Did::Replace]);
    }
    let (slot, _) = books.add_child();
    assert_eq!(
        books.killed(slot, false),
        [Did::Settle(1, Outcome::Lost, 0.0, SIGKILL), Did::Replace]
    );
}

#[test]
fn a_refused_hand_off_fails_the_task_and_frees_the_child() {
    let mut books = Books::new(1);
    let [a] = books.children(1)[..] else {
        unreachable!()
    };
    books.submit(1, task(1, 2));
    books.submit(2, task(2, 1));
    let actions = books
        .state
        .refused(a, books.seqs[&a], &[], "the SharedMemory was closed");
    let did = books.did(actions);
    assert_eq!(
        did,
        [Did::Settle(1, Outcome::Invalid, 0.0, 0), run(a, 2, 0)]
    );
}

#[test]
fn one_shot_children_run_their_own_part_and_count_it_started() {
    let mut books = Books::new(1);
    let [p] = books.children(1)[..] else {
        unreachable!()
    };
    let one_shot = |id| {
        let parts = vec![part(id, 0, &[]), part(id, 1, &[])];
        Task::new(parts, Vec::new(), Finish::Sum, true)
    };
    let (x, y) = (
        books.state.add_one_shot(1, 0),
        books.state.add_one_shot(1, 1),
    );
    // Nothing is queued: the parts went with the fork.
    assert_eq!(books.submit(1, one_shot(1)), []);
    assert!(!books.state.is_persistent(x) && books.state.is_persistent(p));
    books.seqs.insert(x, 0);
    books.seqs.insert(y, 0);
    assert_eq!(books.ok(x, 1.0), []);
    assert_eq!(books.ok(y, 2.0), [Did::Settle(1, Outcome::Ok, 3.0, 0)]);
    // Its exit after reporting changes nothing, and no replacement is asked for.
    assert_eq!(books.killed(x, false), []);
    // A one-shot child that dies before reporting fails its task, started or not (its
    // snapshot of the inputs cannot be run again).
    let z = books.state.add_one_shot(2, 0);
    let parts = vec![part(2, 0, &[])];
    books.submit(2, Task::new(parts, Vec::new(), Finish::Sum, true));
    let exit = Exit {
        code: 3,
        signal: 0,
        started: 0,
    };
    let actions = books.state.exited(z, exit);
    let did = books.did(actions);
    assert_eq!(did, [Did::Settle(2, Outcome::Exited, 0.0, 0)]);
    // The persistent child took none of it.
    assert_eq!(books.seqs.get(&p), None);
}
