//! The result thread: one per pool. It sleeps on the pool's doorbell (a futex in a page shared
//! with the children), which a child rings after writing a part's result into its mailbox;
//! it reads the mailboxes that changed under the pool's mutex, books the results (which hands
//! out queued parts as children free up), finishes ended tasks and wakes the JavaScript thread.
//!
//! Exits stay with the supervisor (`supervisor.rs`), which reads a dead child's mailbox before
//! it books the exit: a child killed between writing its result and ringing is still heard.

use std::sync::atomic::Ordering;

use super::perform::After;
use super::Shared;

/// Waits for results until the pool stops (`shutdown` rings the doorbell once `stopping` is
/// set).
pub(super) fn run(shared: &Shared) {
    let doorbell = shared.doorbell.get();
    let mut seen = doorbell.current();
    while !shared.stopping.load(Ordering::Acquire) {
        // Everything written before the ring that moved the count to `seen` is read here;
        // what comes later moves the count again, and the wait returns at once.
        let mut after = After::default();
        shared.lock().read_mailboxes(&mut after);
        shared.finish(after);
        seen = doorbell.wait(seen);
    }
}
