//! The supervisor thread: one per pool. It sleeps in `poll(2)` on an eventfd (the JavaScript
//! thread's "look again"), every child's socket (results) and every child's pidfd (exits),
//! records results and exits in the shared state, hands out queued parts, finishes ended
//! tasks (the parent's merge for `sort`) and wakes the JavaScript thread.
//!
//! Only this thread removes children (after reaping them), and the JavaScript thread only adds
//! them, so every fd this thread polls stays open while it polls. It never forks: the
//! JavaScript thread forks replacements when it drains the exits.

use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;

use crate::sys::poll::{pollfd, Poller};

use super::protocol::Msg;
use super::socket::{self, Received};
use super::state;
use super::Shared;

/// Polls until the pool stops.
pub(super) fn run(shared: &Shared) {
    let mut fds: Vec<libc::pollfd> = Vec::new();
    let mut pids: Vec<i32> = Vec::new();
    let mut poller = Poller::default();
    // Stays open until this thread has been joined.
    let wake = shared.wake_fd();
    while !shared.stopping.load(Ordering::Acquire) {
        fds.clear();
        pids.clear();
        fds.push(pollfd(wake));
        {
            let state = shared.lock();
            for slot in &state.slots {
                pids.push(slot.child.pid);
                let sock = if slot.retiring {
                    -1
                } else {
                    slot.child.sock.as_raw_fd()
                };
                fds.push(pollfd(sock));
                fds.push(pollfd(slot.child.pidfd.as_raw_fd()));
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
        let mut wake_js = false;
        let finished = {
            let mut state = shared.lock();
            for (k, &pid) in pids.iter().enumerate() {
                let (sock, exit) = (fds[1 + 2 * k].revents, fds[2 + 2 * k].revents);
                if sock == 0 && exit == 0 {
                    continue;
                }
                let Some(i) = state.slots.iter().position(|s| s.child.pid == pid) else {
                    continue;
                };
                // Read results first: a child may report and exit in one go.
                read_results(&mut state, i);
                if exit == 0 {
                    continue;
                }
                let Some((code, signal)) = state.slots[i].child.reap(false) else {
                    continue;
                };
                let slot = state.on_exit(i, code, signal);
                if slot.one_shot.is_none() && !shared.stopping.load(Ordering::Acquire) {
                    shared.respawn.fetch_add(1, Ordering::AcqRel);
                    wake_js = true;
                }
            }
            state.dispatch();
            state.take_finished()
        };
        for (id, task) in finished {
            shared.completions.push(state::complete(id, task));
            wake_js = true;
        }
        if wake_js {
            shared.channel.wake();
        }
    }
}

/// Takes every result waiting on a child's socket.
fn read_results(state: &mut state::State, slot: usize) {
    loop {
        let sock = state.slots[slot].child.sock.as_raw_fd();
        match socket::recv(sock, true) {
            // A stray fd that came with a message closes as it is dropped.
            Received::Msg(Msg::Done(done), _) => state.on_done(slot, done),
            Received::Msg(..) | Received::Garbage => {}
            Received::Empty => return,
            Received::Eof | Received::Error => {
                // The child is exiting; its pidfd tells when it is gone.
                state.slots[slot].retiring = true;
                return;
            }
        }
    }
}
