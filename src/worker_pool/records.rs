//! How finished tasks reach the owner's JavaScript: one ArrayBuffer per drain, `count` records
//! of [`FIELDS`] doubles (id, outcome, runMs, waitMs, byteOffset, byteLength, slot) followed by
//! the serialized results the offsets point to, handed to `onComplete(buffer, count)` through
//! the shared completion channel (`crate::core::completion`).

use napi::bindgen_prelude::{ArrayBuffer, ToNapiValue};
use napi::{sys, Env, JsValue};

use super::core::Completion;
use crate::core::completion::Delivery;

/// Doubles per completion record.
pub(crate) const FIELDS: usize = 7;

/// One drain's completions, laid out as the JavaScript side reads them.
#[derive(Debug, Default)]
pub(crate) struct Records {
    count: u32,
    bytes: Vec<u8>,
}

impl Records {
    /// Lays `batch` out: the records first (8-byte aligned, as a Float64Array needs), then the
    /// payloads in the same order.
    pub(crate) fn of(batch: &[Completion]) -> Self {
        let head = batch.len() * FIELDS * 8;
        let total = head + batch.iter().map(|c| c.bytes.len()).sum::<usize>();
        let mut bytes = Vec::with_capacity(total);
        let mut offset = head;
        for done in batch {
            let record = [
                f64::from(done.id),
                f64::from(done.outcome),
                done.run_ms,
                done.wait_ms,
                offset as f64,
                done.bytes.len() as f64,
                f64::from(done.slot),
            ];
            for field in record {
                bytes.extend_from_slice(&field.to_ne_bytes());
            }
            offset += done.bytes.len();
        }
        for done in batch {
            bytes.extend_from_slice(&done.bytes);
        }
        Self {
            count: batch.len() as u32,
            bytes,
        }
    }
}

impl Records {
    /// The buffer and the number of records in it.
    pub(crate) fn into_buffer(self, env: &Env) -> napi::Result<(ArrayBuffer<'_>, u32)> {
        Ok((ArrayBuffer::copy_from(env, &self.bytes)?, self.count))
    }
}

impl Delivery for Records {
    fn is_empty(&self) -> bool {
        self.count == 0
    }

    unsafe fn into_args(self, env: &Env) -> napi::Result<Vec<sys::napi_value>> {
        let (buffer, count) = self.into_buffer(env)?;
        // SAFETY: the env is live on this thread (caller).
        let count = unsafe { u32::to_napi_value(env.raw(), count) }?;
        Ok(vec![buffer.raw(), count])
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn done(id: u32, bytes: &[u8]) -> Completion {
        Completion {
            id,
            slot: 4,
            outcome: 1,
            run_ms: 0.5,
            wait_ms: 0.25,
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn records_point_at_their_payloads() {
        let records = Records::of(&[done(1, b"ab"), done(2, b""), done(3, b"xyz")]);
        assert_eq!(records.count, 3);
        let head = 3 * FIELDS * 8;
        assert_eq!(records.bytes.len(), head + 5);
        let field = |record: usize, f: usize| {
            let at = (record * FIELDS + f) * 8;
            f64::from_ne_bytes(records.bytes[at..at + 8].try_into().unwrap())
        };
        let payload = |record: usize| {
            let (at, len) = (field(record, 4) as usize, field(record, 5) as usize);
            &records.bytes[at..at + len]
        };
        assert_eq!([field(0, 0), field(1, 0), field(2, 0)], [1.0, 2.0, 3.0]);
        assert_eq!(
            [field(2, 1), field(2, 2), field(2, 3), field(2, 6)],
            [1.0, 0.5, 0.25, 4.0]
        );
        assert_eq!(payload(0), b"ab");
        assert_eq!(payload(1), b"");
        assert_eq!(payload(2), b"xyz");
        assert!(Records::of(&[]).is_empty());
    }
}
