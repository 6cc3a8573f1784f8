//! What the JavaScript thread, the supervisor and result threads and the completion channel
//! share: the books and children behind one mutex, the completions waiting for JavaScript, the
//! supervisor's wake-up and the result thread's doorbell.

use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread::JoinHandle;

use crossbeam::queue::SegQueue;
use napi::Env;
use nix::sys::eventfd::EventFd;

use crate::core::completion::{Batch, Channel, Source};
use crate::core::task::{batch_of, Completion, PROCESS_POOL_WIDTH};
use crate::sys::SysError;

use super::fork::{self, Kind, SharedPage};
use super::mailbox::Doorbell;
use super::perform::{After, Locked};
use super::state;

/// State shared by the JavaScript thread, the supervisor thread and the completion channel.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(super) state: Mutex<Locked>,
    pub(super) completions: SegQueue<Completion>,
    pub(super) channel: Channel,
    /// Wakes the supervisor (children added, or the pool stopping); closed by `shutdown`
    /// once the supervisor has stopped.
    pub(super) wake: Mutex<Option<EventFd>>,
    pub(super) stopping: AtomicBool,
    /// Persistent children that died and are to be replaced (by the JavaScript thread).
    pub(super) respawn: AtomicUsize,
    /// Tasks submitted and not yet handed to JavaScript (JS thread only): the pool holds the
    /// event loop open while this is not zero.
    pub(super) in_flight: AtomicUsize,
    pub(super) processes: usize,
    pub(super) supervisor: Mutex<Option<JoinHandle<()>>>,
    /// Rung by the children after writing a result, and by `shutdown`.
    pub(super) doorbell: SharedPage<Doorbell>,
    /// The thread reading results (`results.rs`).
    pub(super) results: Mutex<Option<JoinHandle<()>>>,
}

impl Source for Shared {
    fn channel(&self) -> &Channel {
        &self.channel
    }

    /// Replaces dead children and takes the completions; lets the event loop go once no task
    /// is in flight.
    fn drain(&self, env: Option<&Env>) -> Batch {
        let Some(env) = env else {
            return Batch::default();
        };
        if self.stopping.load(Ordering::Acquire) {
            return Batch::default();
        }
        if self.respawn.swap(0, Ordering::AcqRel) > 0 {
            // A failure is retried at the next submit (which reports it if no child is left).
            let _ = self.top_up();
        }
        let mut batch = Vec::new();
        while let Some(c) = self.completions.pop() {
            batch.push(c);
        }
        let left = self
            .in_flight
            .load(Ordering::Acquire)
            .saturating_sub(batch.len());
        self.in_flight.store(left, Ordering::Release);
        if left == 0 {
            let _ = self.channel.set_referenced(env, false);
        }
        batch_of(PROCESS_POOL_WIDTH, batch)
    }
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, Locked> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes the supervisor to build its poll set again: only needed when children were added
    /// (their fds join it) or the pool stops. A part handed out or a task cancelled needs no
    /// poke: the children already polled are the ones that will answer, and a needless wake
    /// costs every task a context switch (measurably, on two cores).
    pub(super) fn poke(&self) {
        if let Some(wake) = &*self.wake.lock().unwrap_or_else(|e| e.into_inner()) {
            let _ = wake.write(1);
        }
    }

    /// The eventfd's number, for the supervisor's poll (valid until `shutdown` has joined it).
    pub(super) fn wake_fd(&self) -> i32 {
        let wake = self.wake.lock().unwrap_or_else(|e| e.into_inner());
        wake.as_ref().map_or(-1, |w| w.as_fd().as_raw_fd())
    }

    /// Forks persistent children until there are `processes`. JavaScript thread only.
    pub(super) fn top_up(&self) -> Result<(), SysError> {
        let mut missing = self
            .processes
            .saturating_sub(self.lock().state.persistent());
        let mut result = Ok(());
        let mut after = After::default();
        while missing > 0 && !self.stopping.load(Ordering::Acquire) {
            match fork::spawn(Kind::Persistent, self.doorbell.get()) {
                Ok(child) => {
                    self.lock().add_child(child, &mut after);
                    missing -= 1;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.finish(after);
        self.poke();
        result
    }

    /// What is left once actions were performed, outside the lock: completes the tasks that
    /// ended (the parent's merge, a histogram's counts), counts the children to replace, and
    /// wakes JavaScript if there is anything for it. Any thread.
    pub(super) fn finish(&self, after: After) {
        let mut wake = false;
        for (id, task) in after.settled {
            self.completions.push(state::complete(id, task));
            wake = true;
        }
        if after.replace > 0 && !self.stopping.load(Ordering::Acquire) {
            self.respawn.fetch_add(after.replace, Ordering::AcqRel);
            wake = true;
        }
        if wake {
            self.channel.wake();
        }
    }

    /// Stops the supervisor, kills and reaps every child; returns the ids of tasks that had
    /// not been reported. Idempotent.
    pub(super) fn shutdown(&self) -> Vec<u32> {
        self.stopping.store(true, Ordering::Release);
        self.poke();
        self.doorbell.get().ring();
        for thread in [&self.supervisor, &self.results] {
            let handle = thread.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(handle) = handle {
                let _ = handle.join();
            }
        }
        self.wake.lock().unwrap_or_else(|e| e.into_inner()).take();
        self.lock().shutdown()
    }
}
