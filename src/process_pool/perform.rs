//! What lives behind the pool's mutex: the books ([`State`], no I/O) and the children they
//! name by [`SlotId`]; and the one place that performs the books' [`Action`]s on the children
//! (sends on their sockets, posts parts in their mailboxes, raises their cancel flags, kills
//! those that cannot be sent to).
//!
//! Actions are performed under the mutex, in the order the books returned them, so a child's
//! cancel flag is cleared right before its part is sent and raised only for the part the books
//! say it runs, with no other thread in between (see `state`). What is left for after the lock
//! (tasks to complete, children to replace) is collected in [`After`].

use std::collections::{HashMap, VecDeque};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::shm::Segment;

use super::fork::Child;
use super::protocol::{Msg, PartSpec};
use super::socket;
use super::state::{Action, Exit, SlotId, State, Task};

/// The books and the children, behind the pool's mutex.
#[derive(Debug)]
pub(super) struct Locked {
    pub(super) state: State,
    children: HashMap<SlotId, Child>,
}

/// What performing actions left to do once the lock is released.
#[derive(Debug, Default)]
pub(super) struct After {
    /// Tasks that ended, to turn into completions ([`super::state::complete`]).
    pub(super) settled: Vec<(u32, Task)>,
    /// Persistent children that died, to be replaced.
    pub(super) replace: usize,
}

impl Locked {
    pub(super) fn new(state: State) -> Self {
        Self {
            state,
            children: HashMap::new(),
        }
    }

    pub(super) fn child(&self, slot: SlotId) -> Option<&Child> {
        self.children.get(&slot)
    }

    /// Pids of the persistent children, in the books' order.
    pub(super) fn persistent_pids(&self) -> Vec<i32> {
        self.state
            .slots()
            .filter(|&s| self.state.is_persistent(s))
            .filter_map(|s| self.children.get(&s).map(|c| c.pid))
            .collect()
    }

    /// A persistent child was forked: books it and hands it queued parts.
    pub(super) fn add_child(&mut self, child: Child, after: &mut After) {
        let (slot, actions) = self.state.add_child();
        self.children.insert(slot, child);
        self.perform(actions, after);
    }

    /// One-shot children were forked for task `id`, one per part in order: books them and
    /// the task.
    pub(super) fn add_one_shot(
        &mut self,
        id: u32,
        task: Task,
        children: Vec<Child>,
        after: &mut After,
    ) {
        for (part, child) in children.into_iter().enumerate() {
            let slot = self.state.add_one_shot(id, part);
            self.children.insert(slot, child);
        }
        let actions = self.state.submit(id, task);
        self.perform(actions, after);
    }

    /// The child of `slot` was reaped: books its exit (reading its control page) and drops it
    /// (closing its fds, unmapping its control page).
    pub(super) fn exited(&mut self, slot: SlotId, code: i32, signal: i32, after: &mut After) {
        let Some(child) = self.children.remove(&slot) else {
            return;
        };
        let started = child.control.get().last_started();
        drop(child);
        let actions = self.state.exited(
            slot,
            Exit {
                code,
                signal,
                started,
            },
        );
        self.perform(actions, after);
    }

    /// Kills and reaps every child; ends every task. Returns the ids of the tasks not reported.
    pub(super) fn shutdown(&mut self) -> Vec<u32> {
        for child in self.children.values() {
            child.kill();
        }
        for (_, child) in self.children.drain() {
            child.reap(true);
        }
        self.state.drain_all()
    }

    /// Performs `actions` in order (and those the books return when a hand-off is refused,
    /// after them).
    pub(super) fn perform(&mut self, actions: Vec<Action>, after: &mut After) {
        let mut todo = VecDeque::from(actions);
        while let Some(action) = todo.pop_front() {
            match action {
                Action::Run {
                    slot,
                    seq,
                    part,
                    unmap,
                    map,
                } => {
                    let refused = self.hand_off(slot, seq, &part, &unmap, &map);
                    if let Err((unmapped, why)) = refused {
                        todo.extend(self.state.refused(slot, seq, &unmapped, why));
                    }
                }
                Action::Unmap { slot, segment } => {
                    if let Some(child) = self.children.get(&slot) {
                        let unmap = Msg::Unmap { id: segment };
                        if socket::send(child.sock.as_raw_fd(), &unmap, None, true).is_ok() {
                            child.control.get().mailbox.poke();
                        }
                    }
                }
                Action::Cancel { slot } => {
                    if let Some(child) = self.children.get(&slot) {
                        child.control.get().cancel().store(true, Ordering::Relaxed);
                    }
                }
                Action::Settle { id, task } => after.settled.push((id, task)),
                Action::Replace => after.replace += 1,
            }
        }
    }

    /// Takes the result the child of `slot` wrote in its mailbox, if it wrote one since the
    /// last look. A record that does not decode is ignored, as garbage on the socket was.
    pub(super) fn read_mailbox(&mut self, slot: SlotId, after: &mut After) {
        let Some(child) = self.children.get_mut(&slot) else {
            return;
        };
        let mailbox = &child.control.get().mailbox;
        if let Some(Some(done)) = mailbox.take_done(&mut child.reported) {
            let actions = self.state.done(slot, done);
            self.perform(actions, after);
        }
    }

    /// Takes the results in every child's mailbox (the doorbell rang).
    pub(super) fn read_mailboxes(&mut self, after: &mut After) {
        let slots: Vec<SlotId> = self.state.slots().collect();
        for slot in slots {
            self.read_mailbox(slot, after);
        }
    }

    /// Hands part `seq` to the child of `slot`: unmap and map segments on its socket, then
    /// post the part in its mailbox.
    ///
    /// Sends never block (the JavaScript thread may be the caller): an idle child has read
    /// everything sent to it, so a full socket means it is stopped or stuck. Such a child, or
    /// one whose socket fails, is killed: it never started the part (unless it read the
    /// `Run`), so its exit puts the part back in the queue, and a replacement is forked. A
    /// segment whose fd was closed refuses the part: the ids of the segments not mapped, and
    /// why.
    fn hand_off(
        &self,
        slot: SlotId,
        seq: u64,
        part: &PartSpec,
        unmap: &[u64],
        map: &[Arc<Segment>],
    ) -> Result<(), (Vec<u64>, &'static str)> {
        let Some(child) = self.children.get(&slot) else {
            return Err((map.iter().map(|s| s.id()).collect(), "the child is gone"));
        };
        let sock = child.sock.as_raw_fd();
        let mut ok = true;
        for &id in unmap {
            ok &= socket::send(sock, &Msg::Unmap { id }, None, true).is_ok();
        }
        for (k, segment) in map.iter().enumerate() {
            let msg = Msg::Map {
                id: segment.id(),
                len: segment.len() as u64,
            };
            match segment.with_fd(|fd| socket::send(sock, &msg, Some(fd), true)) {
                Some(sent) => ok &= sent.is_ok(),
                None => {
                    let unmapped = map[k..].iter().map(|s| s.id()).collect();
                    return Err((unmapped, "the SharedMemory was closed"));
                }
            }
        }
        child.control.get().cancel().store(false, Ordering::Relaxed);
        // The child reads the socket before it takes the part: what was sent is there.
        ok = ok && child.control.get().mailbox.post(seq, part);
        if !ok {
            child.kill();
        }
        Ok(())
    }
}
