//! IPC frame decoding: where the frames in a chunk of received bytes start and end.
//!
//! ```text
//! frame = u32 big-endian payload length | u8 kind | payload
//! ```
//! The JavaScript channel (`lib/cluster/channel.js`) hands every chunk it reads to
//! [`NativeCluster::scan_frames`] and deserializes the payloads it is told about; the checks on a
//! header (kind, length, a handle frame's prefix) live only here, in [`scan`], which the
//! property tests in `frame_tests.rs` feed random and truncated byte streams.

use napi::bindgen_prelude::{BufferSlice, Uint32ArraySlice};
use napi::Env;
use napi_derive::napi;

use super::NativeCluster;
use crate::napi_util::{guard, integer, throw, Arg, ErrorKind};

/// Bytes before a frame's payload.
pub(crate) const HEADER: usize = 5;
/// The largest payload one frame may carry (256 MiB).
pub(crate) const MAX_PAYLOAD: usize = 256 << 20;
/// A user message (v8.serialize, or JSON text with serialization 'json').
pub(crate) const KIND_USER: u8 = 0;
/// An internal message (JSON text).
pub(crate) const KIND_INTERNAL: u8 = 1;
/// A user message with a handle: u8 handle type | u32 token | the message as a kind-0 payload.
pub(crate) const KIND_HANDLE: u8 = 2;
/// A `Buffer` / typed array sent with `{ raw: true }`: the bytes themselves, no serializer.
pub(crate) const KIND_RAW: u8 = 3;
/// Bytes before the message in a kind-2 payload.
pub(crate) const HANDLE_PREFIX: usize = 5;

/// Words at the start of the `out` array of `scanFrames`, before the frames.
const OUT_HEAD: usize = 5;
/// Words per frame in the `out` array: kind, payload start, payload length.
const OUT_FRAME: usize = 3;

/// One complete frame: its kind and where its payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) kind: u8,
    /// Offset of the payload (the header is the 5 bytes before it).
    pub(crate) start: usize,
    pub(crate) len: usize,
}

/// Why a header is malformed. The channel closes with ERR_INVALID_FRAME on any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameError {
    UnknownKind(u8),
    TooLarge(u32),
    HandleTooShort(u32),
}

impl FrameError {
    /// The code and value `scanFrames` reports (the JS channel words the message).
    fn code(self) -> (u32, u32) {
        match self {
            FrameError::UnknownKind(kind) => (1, u32::from(kind)),
            FrameError::TooLarge(len) => (2, len),
            FrameError::HandleTooShort(len) => (3, len),
        }
    }
}

/// What a scan found after the frames it reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// Offset just past the last complete frame reported.
    pub(crate) consumed: usize,
    /// The size (header included) of the incomplete frame at `consumed`, once its header is
    /// complete; 0 when fewer than `HEADER` bytes of it are there (or nothing is left).
    pub(crate) need: usize,
    /// The header at `consumed` is malformed: nothing after it may be read.
    pub(crate) error: Option<FrameError>,
    /// The scan stopped because `frame` asked it to, not at the end of the data.
    pub(crate) stopped: bool,
}

/// Checks one header: the payload length and kind it announces.
pub(crate) fn check_header(len: u32, kind: u8) -> Result<usize, FrameError> {
    let len_usize = len as usize;
    if !matches!(kind, KIND_USER | KIND_INTERNAL | KIND_HANDLE | KIND_RAW) {
        return Err(FrameError::UnknownKind(kind));
    }
    if len_usize > MAX_PAYLOAD {
        return Err(FrameError::TooLarge(len));
    }
    if kind == KIND_HANDLE && len_usize < HANDLE_PREFIX {
        return Err(FrameError::HandleTooShort(len));
    }
    Ok(len_usize)
}

/// Scans `buf[from..]` for complete frames, calling `frame` with each in order until it
/// returns false. Never reads past `buf` and never panics, whatever the bytes.
pub(crate) fn scan(buf: &[u8], from: usize, mut frame: impl FnMut(Frame) -> bool) -> Scanned {
    let mut at = from.min(buf.len());
    loop {
        let rest = &buf[at..];
        if rest.len() < HEADER {
            return Scanned {
                consumed: at,
                need: 0,
                error: None,
                stopped: false,
            };
        }
        let kind = rest[4];
        let len = match check_header(
            u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]),
            kind,
        ) {
            Ok(len) => len,
            Err(error) => {
                return Scanned {
                    consumed: at,
                    need: 0,
                    error: Some(error),
                    stopped: false,
                }
            }
        };
        if rest.len() - HEADER < len {
            return Scanned {
                consumed: at,
                need: HEADER + len,
                error: None,
                stopped: false,
            };
        }
        let start = at + HEADER;
        at = start + len;
        if !frame(Frame { kind, start, len }) {
            return Scanned {
                consumed: at,
                need: 0,
                error: None,
                stopped: true,
            };
        }
    }
}

#[napi]
impl NativeCluster {
    /// Finds the complete IPC frames in `buf` from byte `from` on, for the JavaScript channel.
    /// Writes `[frames, consumed, need, errorCode, errorValue]` to the start of `out`, then
    /// `kind, payloadStart, payloadLength` per frame, as many as fit; returns the number of
    /// frames. `consumed` is the offset past the last frame written (scan again from there when
    /// `out` was full); `need` the size of the incomplete frame there, once its header is in;
    /// `errorCode` 1 (unknown kind), 2 (over 256 MiB) or 3 (a handle frame too short) when the
    /// header at `consumed` is malformed, else 0.
    #[napi]
    pub fn scan_frames(
        env: Env,
        buf: Arg<BufferSlice<'_>>,
        from: Arg<f64>,
        mut out: Arg<Uint32ArraySlice<'_>>,
    ) -> napi::Result<u32> {
        guard(&env, || {
            let from = integer(&env, "from", from.0, 0, buf.0.len() as i64)? as usize;
            // SAFETY: JavaScript runs on this thread only, and it is inside this call: nothing
            // else reads or writes `out` while this slice lives (it ends with this function).
            let out = unsafe { out.0.as_mut() };
            if out.len() < OUT_HEAD + OUT_FRAME {
                return Err(throw(
                    &env,
                    ErrorKind::Range,
                    "ERR_OUT_OF_RANGE",
                    "out must hold at least 8 words",
                ));
            }
            if buf.0.len() > u32::MAX as usize {
                return Err(throw(
                    &env,
                    ErrorKind::Range,
                    "ERR_OUT_OF_RANGE",
                    "buf must be shorter than 4 GiB",
                ));
            }
            let room = (out.len() - OUT_HEAD) / OUT_FRAME;
            let (head, frames) = out.split_at_mut(OUT_HEAD);
            let mut count = 0usize;
            let scanned = scan(&buf.0, from, |f| {
                let slot = &mut frames[count * OUT_FRAME..(count + 1) * OUT_FRAME];
                // Offsets fit: buf is shorter than 4 GiB (checked above).
                slot[0] = u32::from(f.kind);
                slot[1] = f.start as u32;
                slot[2] = f.len as u32;
                count += 1;
                count < room
            });
            let (code, value) = scanned.error.map_or((0, 0), FrameError::code);
            head[0] = count as u32;
            head[1] = scanned.consumed as u32;
            head[2] = scanned.need.min(u32::MAX as usize) as u32;
            head[3] = code;
            head[4] = value;
            Ok(count as u32)
        })
    }
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
