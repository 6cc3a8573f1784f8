//! Messages between the parent and a child, over a `SOCK_SEQPACKET` socketpair (one message
//! per packet, boundaries kept; sent and received by [`super::socket`]). Fixed-size,
//! explicitly encoded little records: no allocation to encode or decode, no padding bytes
//! sent.
//!
//! Parent → child: `Map` (a segment's memfd rides along as `SCM_RIGHTS`), `Unmap`, `Run`.
//! Child → parent: `Done`, carrying the part's [`Reply`]: a number, or 256 counts (a
//! `histogram` part's partial counts, which the parent adds up; 1 KiB, so they travel in the
//! message rather than through memory the parent would have to set up for each part).

use crate::kernels::ElemKind;

/// Largest message, in bytes.
pub(super) const MSG: usize = 2048;
/// Numeric parameters of one part, at most.
pub(super) const MAX_PARAMS: usize = 12;
/// Typed-array views of one part, at most.
pub(super) const MAX_VIEWS: usize = 4;
/// Bytes of a failure message carried by `Done`.
pub(super) const MAX_TEXT: usize = 256;
/// Counts a [`Reply::Counts`] carries: one per byte value.
pub(super) const COUNTS: usize = 256;

// The largest `Done` (kind, seq, outcome, reply tag, counts, text length, text) fits.
const _: () = assert!(4 + 8 + 4 + 4 + 4 * COUNTS + 4 + MAX_TEXT <= MSG);

const MAP: u32 = 1;
const UNMAP: u32 = 2;
const RUN: u32 = 3;
const DONE: u32 = 4;

/// Where a view's memory is, as the child sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Loc {
    /// `offset` bytes into the segment the child mapped under `id`.
    Segment { id: u64, offset: u64 },
    /// An address valid in the child as it is in the parent: a one-shot child's copy-on-write
    /// snapshot, or a segment mapping it inherited.
    Addr(u64),
}

/// One typed-array view of a part.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct ViewSpec {
    pub(super) loc: Loc,
    /// Elements.
    pub(super) len: u64,
    pub(super) kind: ElemKind,
}

const EMPTY_VIEW: ViewSpec = ViewSpec {
    loc: Loc::Addr(0),
    len: 0,
    kind: ElemKind::Other,
};

/// One child's share of a task: a kernel of the process table, its parameters and views.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct PartSpec {
    pub(super) kernel: u32,
    params: [f64; MAX_PARAMS],
    nparams: usize,
    views: [ViewSpec; MAX_VIEWS],
    nviews: usize,
}

impl PartSpec {
    /// A part, or why it does not fit in a message (more than [`MAX_PARAMS`] numbers or
    /// [`MAX_VIEWS`] views: a task's arguments, as anyone calling the addon directly may pass).
    pub(super) fn new(kernel: usize, params: &[f64], views: &[ViewSpec]) -> Result<Self, String> {
        if params.len() > MAX_PARAMS || views.len() > MAX_VIEWS {
            return Err(format!(
                "a part takes at most {MAX_PARAMS} numbers and {MAX_VIEWS} typed arrays, got {} and {}",
                params.len(),
                views.len()
            ));
        }
        let mut part = Self {
            kernel: kernel as u32,
            params: [0.0; MAX_PARAMS],
            nparams: params.len(),
            views: [EMPTY_VIEW; MAX_VIEWS],
            nviews: views.len(),
        };
        part.params[..params.len()].copy_from_slice(params);
        part.views[..views.len()].copy_from_slice(views);
        Ok(part)
    }

    pub(super) fn params(&self) -> &[f64] {
        &self.params[..self.nparams]
    }

    pub(super) fn views(&self) -> &[ViewSpec] {
        &self.views[..self.nviews]
    }
}

/// How a part ended, as the child reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(super) enum PartOutcome {
    Ok = 0,
    Cancelled = 1,
    Panicked = 2,
    /// The child's own checks refused the part (a bug in the parent's plan, never user input).
    Invalid = 3,
}

/// A message, decoded.
// Fixed-size on purpose (a `Done` with counts is the large one): messages are built and
// decoded without allocating, on the stack, as the child's panic hook needs.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Msg {
    Map { id: u64, len: u64 },
    Unmap { id: u64 },
    Run { seq: u64, part: PartSpec },
    Done(Done),
}

/// What a part computed, besides what it wrote into SharedMemory.
// No allocation for the counts either (see `Msg`).
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Reply {
    /// A number: the parent sums the parts' numbers (parts that wrote their output send 0).
    Value(f64),
    /// One count per byte value, modulo 2^32: the parent adds them up bin by bin.
    Counts([u32; COUNTS]),
}

/// A part's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Done {
    pub(super) seq: u64,
    pub(super) outcome: PartOutcome,
    pub(super) reply: Reply,
    text: [u8; MAX_TEXT],
    text_len: usize,
}

impl Done {
    pub(super) fn new(seq: u64, outcome: PartOutcome, value: f64, text: &str) -> Self {
        let mut done = Self {
            seq,
            outcome,
            reply: Reply::Value(value),
            text: [0; MAX_TEXT],
            text_len: 0,
        };
        done.set_text(text.as_bytes());
        done
    }

    /// A part that succeeded with `reply`.
    pub(super) fn ok(seq: u64, reply: Reply) -> Self {
        Self {
            reply,
            ..Self::new(seq, PartOutcome::Ok, 0.0, "")
        }
    }

    /// Sets the message, cut to `MAX_TEXT` bytes on a character boundary.
    pub(super) fn set_text(&mut self, text: &[u8]) {
        let mut n = text.len().min(MAX_TEXT);
        while n > 0 && std::str::from_utf8(&text[..n]).is_err() {
            n -= 1;
        }
        self.text[..n].copy_from_slice(&text[..n]);
        self.text_len = n;
    }

    pub(super) fn text(&self) -> &str {
        std::str::from_utf8(&self.text[..self.text_len]).unwrap_or("")
    }
}

fn kind_code(kind: ElemKind) -> u32 {
    match kind {
        ElemKind::I8 => 1,
        ElemKind::U8 => 2,
        ElemKind::U8Clamped => 3,
        ElemKind::I16 => 4,
        ElemKind::U16 => 5,
        ElemKind::I32 => 6,
        ElemKind::U32 => 7,
        ElemKind::F32 => 8,
        ElemKind::F64 => 9,
        ElemKind::Other => 0,
    }
}

fn kind_from(code: u32) -> ElemKind {
    match code {
        1 => ElemKind::I8,
        2 => ElemKind::U8,
        3 => ElemKind::U8Clamped,
        4 => ElemKind::I16,
        5 => ElemKind::U16,
        6 => ElemKind::I32,
        7 => ElemKind::U32,
        8 => ElemKind::F32,
        9 => ElemKind::F64,
        _ => ElemKind::Other,
    }
}

/// Writes little-endian fields into a fixed buffer.
struct Writer {
    buf: [u8; MSG],
    at: usize,
}

impl Writer {
    fn new(kind: u32) -> Self {
        let mut w = Self {
            buf: [0; MSG],
            at: 0,
        };
        w.u32(kind);
        w
    }
    fn bytes(&mut self, b: &[u8]) {
        self.buf[self.at..self.at + b.len()].copy_from_slice(b);
        self.at += b.len();
    }
    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.bytes(&v.to_le_bytes());
    }
}

/// Reads little-endian fields; any read past the end yields `None`.
struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let bytes = self.buf.get(self.at..self.at + N)?;
        self.at += N;
        bytes.try_into().ok()
    }
    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }
    fn f64(&mut self) -> Option<f64> {
        self.take().map(f64::from_le_bytes)
    }
}

/// An encoded message: `len` bytes of `buf`.
pub(super) struct Encoded {
    buf: [u8; MSG],
    len: usize,
}

impl Encoded {
    pub(super) fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Msg {
    pub(super) fn encode(&self) -> Encoded {
        let w = match self {
            Msg::Map { id, len } => {
                let mut w = Writer::new(MAP);
                w.u64(*id);
                w.u64(*len);
                w
            }
            Msg::Unmap { id } => {
                let mut w = Writer::new(UNMAP);
                w.u64(*id);
                w
            }
            Msg::Run { seq, part } => {
                let mut w = Writer::new(RUN);
                w.u64(*seq);
                w.u32(part.kernel);
                w.u32(part.nparams as u32);
                w.u32(part.nviews as u32);
                for p in part.params() {
                    w.f64(*p);
                }
                for v in part.views() {
                    match v.loc {
                        Loc::Segment { id, offset } => {
                            w.u32(1);
                            w.u64(id);
                            w.u64(offset);
                        }
                        Loc::Addr(addr) => {
                            w.u32(0);
                            w.u64(0);
                            w.u64(addr);
                        }
                    }
                    w.u64(v.len);
                    w.u32(kind_code(v.kind));
                }
                w
            }
            Msg::Done(d) => {
                let mut w = Writer::new(DONE);
                w.u64(d.seq);
                w.u32(d.outcome as u32);
                match &d.reply {
                    Reply::Value(v) => {
                        w.u32(0);
                        w.f64(*v);
                    }
                    Reply::Counts(counts) => {
                        w.u32(1);
                        for c in counts {
                            w.u32(*c);
                        }
                    }
                }
                w.u32(d.text_len as u32);
                w.bytes(&d.text[..d.text_len]);
                w
            }
        };
        Encoded {
            buf: w.buf,
            len: w.at,
        }
    }

    pub(super) fn decode(buf: &[u8]) -> Option<Msg> {
        let mut r = Reader { buf, at: 0 };
        Some(match r.u32()? {
            MAP => Msg::Map {
                id: r.u64()?,
                len: r.u64()?,
            },
            UNMAP => Msg::Unmap { id: r.u64()? },
            RUN => {
                let seq = r.u64()?;
                let kernel = r.u32()?;
                let nparams = r.u32()? as usize;
                let nviews = r.u32()? as usize;
                if nparams > MAX_PARAMS || nviews > MAX_VIEWS {
                    return None;
                }
                let mut params = [0.0; MAX_PARAMS];
                for p in params.iter_mut().take(nparams) {
                    *p = r.f64()?;
                }
                let mut views = [EMPTY_VIEW; MAX_VIEWS];
                for v in views.iter_mut().take(nviews) {
                    let in_segment = r.u32()? == 1;
                    let (a, b) = (r.u64()?, r.u64()?);
                    v.loc = if in_segment {
                        Loc::Segment { id: a, offset: b }
                    } else {
                        Loc::Addr(b)
                    };
                    v.len = r.u64()?;
                    v.kind = kind_from(r.u32()?);
                }
                let part = PartSpec {
                    kernel,
                    params,
                    nparams,
                    views,
                    nviews,
                };
                Msg::Run { seq, part }
            }
            DONE => {
                let seq = r.u64()?;
                let outcome = match r.u32()? {
                    0 => PartOutcome::Ok,
                    1 => PartOutcome::Cancelled,
                    2 => PartOutcome::Panicked,
                    _ => PartOutcome::Invalid,
                };
                let reply = match r.u32()? {
                    0 => Reply::Value(r.f64()?),
                    1 => {
                        let mut counts = [0u32; COUNTS];
                        for c in &mut counts {
                            *c = r.u32()?;
                        }
                        Reply::Counts(counts)
                    }
                    _ => return None,
                };
                let n = (r.u32()? as usize).min(MAX_TEXT);
                let text = r.buf.get(r.at..r.at + n)?;
                let mut done = Done::new(seq, outcome, 0.0, "");
                done.reply = reply;
                done.set_text(text);
                Msg::Done(done)
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn messages_round_trip() {
        let part = PartSpec::new(
            3,
            &[1.5, -2.0, f64::NAN],
            &[
                ViewSpec {
                    loc: Loc::Segment {
                        id: 7,
                        offset: 4096,
                    },
                    len: 10,
                    kind: ElemKind::U32,
                },
                ViewSpec {
                    loc: Loc::Addr(0xdead_beef),
                    len: 3,
                    kind: ElemKind::F64,
                },
            ],
        )
        .unwrap();
        for msg in [
            Msg::Map { id: 1, len: 99 },
            Msg::Unmap { id: 5 },
            Msg::Done(Done::new(9, PartOutcome::Panicked, 2.5, "boom")),
            Msg::Done(Done::ok(
                10,
                Reply::Counts(std::array::from_fn(|i| (i as u32) << 24 | 7)),
            )),
        ] {
            assert_eq!(Msg::decode(msg.encode().bytes()), Some(msg));
        }
        match Msg::decode(Msg::Run { seq: 4, part }.encode().bytes()) {
            Some(Msg::Run { seq: 4, part: got }) => {
                assert_eq!(got.kernel, 3);
                assert_eq!(got.params()[..2], [1.5, -2.0]);
                assert!(got.params()[2].is_nan());
                assert_eq!(got.views(), part.views());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(Msg::decode(&[]), None);
        assert_eq!(Msg::decode(&[9, 0, 0, 0]), None);
        assert_eq!(
            Msg::decode(&Msg::Unmap { id: 5 }.encode().bytes()[..6]),
            None
        );
    }

    #[test]
    fn long_texts_are_cut_on_a_character_boundary() {
        let text = "é".repeat(200);
        let done = Done::new(1, PartOutcome::Invalid, 0.0, &text);
        assert_eq!(done.text().len(), MAX_TEXT);
        assert!(text.starts_with(done.text()));
    }
}
