//! The supervisor thread: one per pool. It sleeps in `poll(2)` on an eventfd (the JavaScript
//! thread's "look again"), every child's socket (a panic's report, a one-shot child's result)
//! and every child's pidfd (exits), records results and exits in the books (which hand out
//! queued parts as children free up), finishes ended tasks (the parent's merge for `sort`) and
//! wakes the JavaScript thread. A persistent child's results come through its mailbox and the
//! result thread (`results.rs`); a dead child's mailbox is read here before its exit is booked.
//!
//! Only this thread removes children (after reaping them), and the JavaScript thread only adds
//! them, so every fd this thread polls stays open while it polls. It never forks: the
//! JavaScript thread forks replacements when it drains the exits.

use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;

use crate::sys::poll::{pollfd, Poller};

use super::perform::{After, Locked};
use super::protocol::Msg;
use super::socket::{self, Received};
use super::state::SlotId;
use super::Shared;

/// Polls until the pool stops.
pub(super) fn run(shared: &Shared) {
    let mut fds: Vec<libc::pollfd> = Vec::new();
    let mut slots: Vec<SlotId> = Vec::new();
    let mut poller = Poller::default();
    // Stays open until this thread has been joined.
    let wake = shared.wake_fd();
    while !shared.stopping.load(Ordering::Acquire) {
        fds.clear();
        slots.clear();
        fds.push(pollfd(wake));
        {
            let locked = shared.lock();
            for slot in locked.state.slots() {
                let Some(child) = locked.child(slot) else {
                    continue;
                };
                slots.push(slot);
                let sock = if locked.state.retiring(slot) {
                    -1
                } else {
                    child.sock.as_raw_fd()
                };
                fds.push(pollfd(sock));
                fds.push(pollfd(child.pidfd.as_raw_fd()));
            }
        }
        // The fds stay open while we poll (see the module docs). A failed poll (not EINTR)
        // comes back after a pause with every fd marked ready: this round then sweeps every
        // child with non-blocking reads and WNOHANG reaps (see `sys::poll`).
        let _ = poller.wait(&mut fds);
        if fds[0].revents != 0 {
            let mut counter = [0u8; 8];
            // SAFETY: reads the eventfd's 8-byte counter into a buffer on this frame (the fd is
            // non-blocking; a failed read only means another poke is already consumed).
            unsafe { libc::read(wake, counter.as_mut_ptr().cast(), counter.len()) };
        }
        let mut after = After::default();
        {
            let mut locked = shared.lock();
            for (k, &slot) in slots.iter().enumerate() {
                let (sock, exit) = (fds[1 + 2 * k].revents, fds[2 + 2 * k].revents);
                if sock == 0 && exit == 0 {
                    continue;
                }
                // Read results first: a child may report and exit in one go.
                read_results(&mut locked, slot, &mut after);
                if exit == 0 {
                    continue;
                }
                let Some((code, signal)) = locked.child(slot).and_then(|c| c.reap(false)) else {
                    continue;
                };
                // A result it wrote and did not live to ring the doorbell for.
                locked.read_mailbox(slot, &mut after);
                locked.exited(slot, code, signal, &mut after);
            }
        }
        shared.finish(after);
    }
}

/// Takes every result waiting on a child's socket.
fn read_results(locked: &mut Locked, slot: SlotId, after: &mut After) {
    loop {
        let Some(child) = locked.child(slot) else {
            return;
        };
        match socket::recv(child.sock.as_raw_fd(), true) {
            // A stray fd that came with a message closes as it is dropped.
            Received::Msg(Msg::Done(done), _) => {
                let actions = locked.state.done(slot, done);
                locked.perform(actions, after);
            }
            Received::Msg(..) | Received::Garbage => {}
            Received::Empty => return,
            Received::Eof | Received::Error => {
                // The child is exiting; its pidfd tells when it is gone.
                locked.state.retire(slot);
                return;
            }
        }
    }
}
