//! Handing queued parts to idle children: which part goes where, and the segments a child
//! maps and unmaps for it.

use std::sync::Arc;

use crate::shm::Segment;

use super::super::child::MAX_MAPPED;
use super::super::protocol::{Done, Loc, PartOutcome};
use super::{Action, Running, State};

impl State {
    /// Hands queued parts to idle persistent children (first flushing their unmaps).
    pub(super) fn dispatch(&mut self, out: &mut Vec<Action>) {
        for i in 0..self.slots.len() {
            if !self.slots[i].idle() {
                continue;
            }
            self.flush_unmaps(i, out);
            let Some((id, index)) = self.next_part() else {
                return;
            };
            self.next_seq += 1;
            let seq = self.next_seq;
            self.slots[i].running = Some(Running {
                task: id,
                seq,
                part: index,
            });
            match self.hand_off(i, id, index, seq) {
                Ok(run) => out.push(run),
                // The child will not run it: report the part as refused.
                Err(why) => self.report(i, Done::new(seq, PartOutcome::Invalid, 0.0, why), out),
            }
        }
    }

    /// The [`Action::Run`] handing part `index` of task `id` to the child of slot `i`: the
    /// segments its views lie in that the child has not mapped, making room first (a child
    /// maps at most [`MAX_MAPPED`]) by unmapping those the part does not need, oldest first.
    fn hand_off(
        &mut self,
        i: usize,
        id: u32,
        index: usize,
        seq: u64,
    ) -> Result<Action, &'static str> {
        let task = self.tasks.get(&id).ok_or("the task is gone")?;
        let (part, segments) = task.part(index);
        let slot = &mut self.slots[i];
        let mut map: Vec<Arc<Segment>> = Vec::new();
        for view in part.views() {
            let Loc::Segment { id, .. } = view.loc else {
                continue;
            };
            if slot.mapped.contains(&id) || map.iter().any(|s| s.id() == id) {
                continue;
            }
            let segment = segments
                .iter()
                .find(|s| s.id() == id)
                .ok_or("a view's SharedMemory is gone")?;
            map.push(segment.clone());
        }
        let needed = |m: u64| {
            part.views()
                .iter()
                .any(|v| matches!(v.loc, Loc::Segment { id, .. } if id == m))
        };
        let mut unmap = Vec::new();
        for segment in &map {
            if slot.mapped.len() >= MAX_MAPPED {
                if let Some(pos) = slot.mapped.iter().position(|&m| !needed(m)) {
                    unmap.push(slot.mapped.remove(pos));
                }
            }
            slot.mapped.push(segment.id());
        }
        Ok(Action::Run {
            slot: slot.id,
            seq,
            part,
            unmap,
            map,
        })
    }

    /// Takes the next part to hand out, in queue order: (task id, part index).
    fn next_part(&mut self) -> Option<(u32, usize)> {
        while let Some(&id) = self.queue.front() {
            let Some(task) = self.tasks.get_mut(&id) else {
                self.queue.pop_front();
                continue;
            };
            let Some(index) = task.take() else {
                self.queue.pop_front();
                continue;
            };
            if !task.queued() {
                self.queue.pop_front();
            }
            return Some((id, index));
        }
        None
    }

    pub(super) fn flush_unmaps(&mut self, i: usize, out: &mut Vec<Action>) {
        let slot = &mut self.slots[i];
        for segment in std::mem::take(&mut slot.unmap) {
            out.push(Action::Unmap {
                slot: slot.id,
                segment,
            });
            slot.mapped.retain(|&m| m != segment);
        }
    }
}
