//! Which segments a child maps and unmaps, and when.

use super::*;
use crate::process_pool::child::MAX_MAPPED;
use crate::shm::Segment;

#[test]
fn segments_are_mapped_once_and_forgotten_when_the_child_is_idle() {
    let s1 = Segment::create(4096).unwrap();
    let s2 = Segment::create(4096).unwrap();
    let mut books = Books::new(2);
    let [a, b] = books.children(2)[..] else {
        unreachable!()
    };
    let did = books.submit(1, task_over(1, &[s1.clone(), s2.clone()]));
    let mapped = |slot, map: Vec<u64>| Did::Run {
        slot,
        task: 1,
        part: 0,
        map,
        unmap: Vec::new(),
    };
    assert_eq!(did, [mapped(a, vec![s1.id(), s2.id()])]);
    books.ok(a, 0.0);
    // Mapped already: only the Run.
    let did = books.submit(2, task_over(2, std::slice::from_ref(&s1)));
    assert_eq!(did, [run(a, 2, 0)]);
    // Busy with s1: it unmaps it once its part is done; b never mapped it.
    assert_eq!(books.forget(s1.id()), []);
    assert_eq!(books.ok(a, 0.0)[..1], [Did::Settle(2, Outcome::Ok, 0.0, 0)]);
    // Idle: right away.
    let did = books.forget(s2.id());
    assert_eq!(did, [Did::Unmap(a, s2.id())]);
    let _ = b;
}

#[test]
fn an_idle_child_unmaps_what_it_was_told_to_before_its_next_part() {
    let s1 = Segment::create(4096).unwrap();
    let mut books = Books::new(1);
    let [a] = books.children(1)[..] else {
        unreachable!()
    };
    books.submit(1, task_over(1, std::slice::from_ref(&s1)));
    assert_eq!(books.forget(s1.id()), []);
    books.submit(2, task(2, 1));
    let did = books.ok(a, 0.0);
    let [Did::Settle(1, Outcome::Ok, ..), Did::Unmap(slot, id), Did::Run { task: 2, .. }] =
        &did[..]
    else {
        panic!("{did:?}")
    };
    assert_eq!((*slot, *id), (a, s1.id()));
}

#[test]
fn a_child_maps_at_most_max_mapped_segments_and_evicts_the_oldest_it_does_not_need() {
    let segments: Vec<_> = (0..=MAX_MAPPED)
        .map(|_| Segment::create(4096).unwrap())
        .collect();
    let mut books = Books::new(1);
    let [a] = books.children(1)[..] else {
        unreachable!()
    };
    for (k, s) in segments[..MAX_MAPPED].iter().enumerate() {
        let id = k as u32;
        let did = books.submit(id, task_over(id, std::slice::from_ref(s)));
        assert!(matches!(&did[..], [Did::Run { unmap, .. }] if unmap.is_empty()));
        books.ok(a, 0.0);
    }
    let last = segments[MAX_MAPPED].clone();
    let did = books.submit(999, task_over(999, &[segments[0].clone(), last.clone()]));
    // The oldest it does not need is the second one: the first is an input of this part.
    let [Did::Run { map, unmap, .. }] = &did[..] else {
        panic!("{did:?}")
    };
    assert_eq!(
        (map.clone(), unmap.clone()),
        (vec![last.id()], vec![segments[1].id()])
    );
}
