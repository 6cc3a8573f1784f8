//! The way back: finished tasks queued by the Workers, and how the owner's thread gets them,
//! woken through the shared completion channel (`crate::core::completion`) or watching for
//! them itself for a tiny task ([`Core::poll`], argued in `spin.rs`).

use std::sync::atomic::{fence, Ordering};
use std::time::Duration;

use napi::Env;

use super::{lock, spin, Core, Slot, TaskState, DONE, TAKEN_BASE};
use crate::core::completion::{Channel, Source};
use crate::worker_pool::records::Records;

/// A finished task on its way to the owner thread.
#[derive(Debug)]
pub(crate) struct Completion {
    pub(crate) id: u32,
    /// The Worker that ran it.
    pub(crate) slot: u32,
    pub(crate) outcome: u32,
    pub(crate) run_ms: f64,
    pub(crate) wait_ms: f64,
    pub(crate) bytes: Vec<u8>,
}

impl Source<Records> for Core {
    fn channel(&self) -> &Channel {
        &self.channel
    }

    /// Takes every completion waiting; once no task is left unsettled the pool stops holding
    /// the event loop open.
    fn drain(&self, env: Option<&Env>) -> Records {
        let (batch, idle) = self.take_completions();
        let Some(env) = env else {
            return Records::default();
        };
        if idle {
            let _ = self.channel.set_referenced(env, false);
        }
        Records::of(&batch)
    }
}

impl Core {
    /// Reports a task the Worker in `slot` finished (Worker thread). Dropped when the owner
    /// already gave up on it (its Worker was declared gone).
    pub(crate) fn complete(&self, slot_id: u32, slot: &Slot, state: &TaskState, done: Completion) {
        if state.swap_if(TAKEN_BASE + slot_id, DONE) {
            self.completions.push(done);
            // An owner that watches sees it; else wake it (`spin.rs`).
            fence(Ordering::SeqCst);
            if !self.owner_watching.load(Ordering::SeqCst) {
                self.channel.wake();
            }
        }
        slot.leave(self.now_ns());
    }

    /// Waits up to `spin` for a completion (owner thread), then takes every completion
    /// waiting, as [`Core::take_completions`]. Workers do not wake the owner meanwhile.
    pub(crate) fn poll(&self, spin: Duration) -> (Vec<Completion>, bool) {
        self.owner_watching.store(true, Ordering::SeqCst);
        spin::watch(spin, || (!self.completions.is_empty()).then_some(()));
        self.owner_watching.store(false, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        self.take_completions()
    }

    pub(crate) fn take_completions(&self) -> (Vec<Completion>, bool) {
        let mut batch = Vec::new();
        while let Some(done) = self.completions.pop() {
            batch.push(done);
        }
        let mut tasks = lock(&self.tasks);
        for done in &batch {
            tasks.remove(&done.id);
        }
        (batch, tasks.is_empty())
    }
}
