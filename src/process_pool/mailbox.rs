//! Parts and results handed over in shared memory, with futex wake-ups: no socket call per
//! task.
//!
//! Each persistent child has a [`Mailbox`] in its control page (see [`super::fork::Control`]).
//! The parent writes a part's `Run` message into it and rings the child's `request` word;
//! segments to map or unmap still travel on the socket (their memfds ride along), sent before
//! the request that announces them, so the child reads them there first. The child writes its
//! `Done` message back into the mailbox and rings the pool's [`Doorbell`], on which the result
//! thread (`results.rs`) sleeps. A futex is woken only when its sleeper said it sleeps.
//!
//! The records are the socket's messages ([`Msg`]), in words of shared memory read and written
//! atomically: a child is not trusted more than the socket was, so what it writes is copied out
//! and decoded by the same checked decoder (a length past the buffer, a wrong kind, a short
//! record: ignored). Each side writes a record only when the other is done reading the last
//! one (a part is posted only to an idle child, one that reported the previous part).

use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};

use crate::shm::futex;

use super::protocol::{Done, Msg, PartSpec, MSG};

/// Words of a `Run` record: its largest encoding fits (checked by a test).
const RUN_WORDS: usize = 64;
/// Words of a `Done` record: any message fits.
const DONE_WORDS: usize = MSG / 8;

/// A futex word one side sleeps on and the other rings.
#[repr(C)]
#[derive(Debug)]
pub(super) struct Bell {
    /// Bumped for every ring.
    count: AtomicI32,
    /// Not zero while the sleeper is (about to be) asleep on `count`.
    sleeping: AtomicI32,
}

impl Bell {
    /// Rings: bumps the count, and wakes the sleeper if it sleeps. Both are sequentially
    /// consistent, as the sleeper's flag and check in [`Bell::wait`] are: either the sleeper
    /// sees the new count, or the ringer sees the flag (and the futex wait, which compares the
    /// count again in the kernel, returns).
    pub(super) fn ring(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
        if self.sleeping.load(Ordering::SeqCst) != 0 {
            futex::wake(&self.count, 1);
        }
    }

    /// The count now (what to pass to [`Bell::wait`]).
    pub(super) fn current(&self) -> i32 {
        self.count.load(Ordering::SeqCst)
    }

    /// Sleeps until the count is no longer `seen`; returns the new count.
    pub(super) fn wait(&self, seen: i32) -> i32 {
        loop {
            let now = self.count.load(Ordering::SeqCst);
            if now != seen {
                return now;
            }
            self.sleeping.store(1, Ordering::SeqCst);
            if self.count.load(Ordering::SeqCst) == seen {
                futex::wait(&self.count, seen, None);
            }
            self.sleeping.store(0, Ordering::SeqCst);
        }
    }
}

/// The pool-wide bell every child rings after writing a result (and the parent rings to stop
/// the result thread). It lives in a page shared with the children, made before they fork.
pub(super) type Doorbell = Bell;

/// One child's mailbox: a part from the parent, a result from the child. All zero (nothing
/// posted, nothing reported) is valid.
#[repr(C)]
#[derive(Debug)]
pub(super) struct Mailbox {
    /// The parent rings it for every request (a part posted, or socket messages to read).
    request: Bell,
    /// The sequence number of the part in `run` (0: none yet; sequence numbers start at 1).
    posted: AtomicU64,
    run_len: AtomicU32,
    /// Bumped by the child for every record written to `done`.
    reported: AtomicU32,
    done_len: AtomicU32,
    run: [AtomicU64; RUN_WORDS],
    done: [AtomicU64; DONE_WORDS],
}

/// Stores `bytes` in `buf` (zero-padded to a word); returns the length, or None if too long.
fn store(buf: &[AtomicU64], bytes: &[u8]) -> Option<u32> {
    if bytes.len() > buf.len() * 8 {
        return None;
    }
    for (word, chunk) in buf.iter().zip(bytes.chunks(8)) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        word.store(u64::from_le_bytes(w), Ordering::Relaxed);
    }
    Some(bytes.len() as u32)
}

/// Copies `len` bytes out of `buf` into `out`, or None if `len` is past the buffer.
fn load<'a>(buf: &[AtomicU64], len: u32, out: &'a mut [u8; MSG]) -> Option<&'a [u8]> {
    let len = len as usize;
    if len > buf.len() * 8 || len > MSG {
        return None;
    }
    for (chunk, word) in out[..len].chunks_mut(8).zip(buf) {
        let w = word.load(Ordering::Relaxed).to_le_bytes();
        chunk.copy_from_slice(&w[..chunk.len()]);
    }
    Some(&out[..len])
}

impl Mailbox {
    /// In the parent: posts part `seq` (the child is idle) and rings the child. False if the
    /// part's record does not fit (it always does: see the tests).
    pub(super) fn post(&self, seq: u64, part: &PartSpec) -> bool {
        let encoded = Msg::Run { seq, part: *part }.encode();
        let Some(len) = store(&self.run, encoded.bytes()) else {
            return false;
        };
        self.run_len.store(len, Ordering::Relaxed);
        self.posted.store(seq, Ordering::Release);
        self.request.ring();
        true
    }

    /// In the parent: tells the child to read the messages sent on its socket.
    pub(super) fn poke(&self) {
        self.request.ring();
    }

    /// In the child: sleeps until a request after `seen` comes; returns the new count.
    pub(super) fn wait(&self, seen: i32) -> i32 {
        self.request.wait(seen)
    }

    /// In the child: the part posted since part `taken` (updated), if any: `Some(None)` when
    /// its record does not decode as the part posted.
    pub(super) fn take_part(&self, taken: &mut u64) -> Option<Option<PartSpec>> {
        let posted = self.posted.load(Ordering::Acquire);
        if posted == *taken {
            return None;
        }
        *taken = posted;
        let mut buf = [0u8; MSG];
        let bytes = load(&self.run, self.run_len.load(Ordering::Relaxed), &mut buf);
        Some(match bytes.and_then(Msg::decode) {
            Some(Msg::Run { seq, part }) if seq == posted => Some(part),
            _ => None,
        })
    }

    /// In the child: writes a result (the parent reads it once `reported` has moved); the
    /// caller then rings the doorbell.
    pub(super) fn report(&self, done: &Done) {
        self.write_done(Msg::Done(*done).encode().bytes());
    }

    /// Writes any bytes as the result record (tests feed the parent garbage with it).
    pub(super) fn write_done(&self, bytes: &[u8]) {
        let len = store(&self.done, bytes).unwrap_or(0);
        self.done_len.store(len, Ordering::Relaxed);
        self.reported.fetch_add(1, Ordering::Release);
    }

    /// Sets the length of the result record as is (tests: a length past the buffer).
    #[cfg(any(test, feature = "test-kernels"))]
    pub(super) fn write_done_len(&self, len: u32) {
        self.done_len.store(len, Ordering::Relaxed);
        self.reported.fetch_add(1, Ordering::Release);
    }

    /// In the parent: the result the child reported since it was last `seen` (updated), if
    /// any: `Some(None)` when its record is not a valid `Done`.
    pub(super) fn take_done(&self, seen: &mut u32) -> Option<Option<Done>> {
        let reported = self.reported.load(Ordering::Acquire);
        if reported == *seen {
            return None;
        }
        *seen = reported;
        let mut buf = [0u8; MSG];
        let bytes = load(&self.done, self.done_len.load(Ordering::Relaxed), &mut buf);
        Some(match bytes.and_then(Msg::decode) {
            Some(Msg::Done(done)) => Some(done),
            _ => None,
        })
    }
}

#[cfg(test)]
mod test {
    use super::super::protocol::{Loc, PartOutcome, Reply, ViewSpec, MAX_PARAMS, MAX_VIEWS};
    use super::*;
    use crate::kernels::ElemKind;

    fn zeroed() -> Box<Mailbox> {
        // SAFETY: every field is an atomic integer or an array of them: all zero is valid.
        unsafe { Box::new(std::mem::zeroed()) }
    }

    fn largest_part() -> PartSpec {
        let view = ViewSpec {
            loc: Loc::Segment {
                id: u64::MAX,
                offset: u64::MAX,
            },
            len: u64::MAX,
            kind: ElemKind::F64,
        };
        PartSpec::new(
            u32::MAX as usize,
            &[f64::MAX; MAX_PARAMS],
            &[view; MAX_VIEWS],
        )
        .unwrap()
    }

    #[test]
    fn parts_and_results_round_trip() {
        let m = zeroed();
        let mut taken = 0;
        assert_eq!(m.take_part(&mut taken), None);
        let part = largest_part();
        assert!(Msg::Run { seq: 1, part }.encode().bytes().len() <= RUN_WORDS * 8);
        assert!(m.post(7, &part));
        assert_eq!(m.take_part(&mut taken), Some(Some(part)));
        assert_eq!(taken, 7);
        // Taken once: a poke alone does not hand it out again.
        m.poke();
        assert_eq!(m.take_part(&mut taken), None);

        let mut seen = 0;
        assert_eq!(m.take_done(&mut seen), None);
        let counts = Done::ok(7, Reply::Counts(std::array::from_fn(|i| i as u32 * 3)));
        m.report(&counts);
        assert_eq!(m.take_done(&mut seen), Some(Some(counts)));
        assert_eq!(m.take_done(&mut seen), None);
        let failed = Done::new(8, PartOutcome::Invalid, 0.0, "no");
        m.report(&failed);
        assert_eq!(m.take_done(&mut seen), Some(Some(failed)));
    }

    #[test]
    fn garbage_is_refused() {
        let m = zeroed();
        let mut seen = 0;
        // A length past the buffer, past a message, and records that are not a `Done`.
        for len in [u32::MAX, (DONE_WORDS * 8 + 1) as u32, (MSG + 8) as u32] {
            m.write_done_len(len);
            assert_eq!(m.take_done(&mut seen), Some(None));
        }
        let run = Msg::Run {
            seq: 1,
            part: largest_part(),
        };
        for bytes in [&[][..], &[0xff; 64][..], run.encode().bytes()] {
            m.write_done(bytes);
            assert_eq!(m.take_done(&mut seen), Some(None));
        }
        // A `Done` cut short.
        let done = Msg::Done(Done::ok(3, Reply::Value(1.0))).encode();
        let bytes = done.bytes();
        m.write_done(&bytes[..bytes.len() - 1]);
        assert_eq!(m.take_done(&mut seen), Some(None));
        // A part record that is not the part posted is refused too.
        let mut taken = 0;
        assert!(m.post(2, &largest_part()));
        m.posted.store(3, Ordering::Release);
        assert_eq!(m.take_part(&mut taken), Some(None));
        assert_eq!(store(&m.run, &[0; RUN_WORDS * 8 + 1]), None);
    }

    #[test]
    fn a_bell_wakes_its_sleeper() {
        let bell = std::sync::Arc::new(Bell {
            count: AtomicI32::new(0),
            sleeping: AtomicI32::new(0),
        });
        let seen = bell.current();
        let sleeper = {
            let bell = bell.clone();
            std::thread::spawn(move || bell.wait(seen))
        };
        bell.ring();
        assert_eq!(sleeper.join().unwrap(), seen + 1);
        // A ring before the wait is not lost.
        bell.ring();
        assert_eq!(bell.wait(seen + 1), seen + 2);
    }
}
