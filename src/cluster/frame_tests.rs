//! Unit and property tests of the IPC frame scanner.
//!
//! `feed` reassembles a byte stream cut into chunks exactly as `lib/cluster/channel.js` does:
//! scan each chunk, keep the unscanned tail, and scan it again once the next chunk is appended
//! (the channel waits until `need` bytes are there when the header is in). Whatever the cuts, the
//! frames found must be the frames that were encoded, and a malformed header must be reported
//! at the frame where it is, with every frame before it delivered.

use proptest::prelude::*;

use super::*;

fn encode(frames: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (kind, payload) in frames {
        out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        out.push(*kind);
        out.extend_from_slice(payload);
    }
    out
}

/// What a stream decoded to: the frames (kind, payload), then the error or the leftover bytes.
#[derive(Debug, PartialEq, Eq)]
struct Decoded {
    frames: Vec<(u8, Vec<u8>)>,
    error: Option<FrameError>,
    /// Bytes of an incomplete frame left when the stream ended.
    leftover: usize,
}

/// Decodes `stream` delivered in chunks cut at `cuts`, as the JS channel does; `room` is how
/// many frames one scan may report (the size of the channel's `out` array).
fn feed(stream: &[u8], cuts: &[usize], room: usize) -> Decoded {
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    bounds.push(stream.len());
    bounds.sort_unstable();
    let mut frames = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut need = 0usize;
    let mut prev = 0;
    for &cut in &bounds {
        pending.extend_from_slice(&stream[prev..cut]);
        prev = cut;
        if pending.len() < HEADER || (need > 0 && pending.len() < need) {
            continue;
        }
        let mut from = 0;
        loop {
            let mut got = 0;
            let scanned = scan(&pending, from, |f| {
                frames.push((f.kind, pending[f.start..f.start + f.len].to_vec()));
                got += 1;
                got < room
            });
            from = scanned.consumed;
            if let Some(error) = scanned.error {
                return Decoded {
                    frames,
                    error: Some(error),
                    leftover: 0,
                };
            }
            if !scanned.stopped {
                need = scanned.need;
                break;
            }
        }
        pending.drain(..from);
    }
    Decoded {
        frames,
        error: None,
        leftover: pending.len(),
    }
}

fn kind() -> impl Strategy<Value = u8> {
    prop_oneof![Just(KIND_USER), Just(KIND_INTERNAL), Just(KIND_RAW)]
}

fn frames() -> impl Strategy<Value = Vec<(u8, Vec<u8>)>> {
    let plain = (kind(), prop::collection::vec(any::<u8>(), 0..300));
    let handle =
        prop::collection::vec(any::<u8>(), HANDLE_PREFIX..40).prop_map(|p| (KIND_HANDLE, p));
    prop::collection::vec(prop_oneof![4 => plain, 1 => handle], 0..24)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Valid frames come out whole and in order, however the stream is cut.
    #[test]
    fn any_cuts_give_back_the_frames(frames in frames(), cuts in prop::collection::vec(any::<usize>(), 0..40), room in 1usize..6) {
        let stream = encode(&frames);
        let got = feed(&stream, &cuts, room);
        prop_assert_eq!(got, Decoded { frames, error: None, leftover: 0 });
    }

    /// A stream that ends early leaves exactly the bytes of the frames it cut short.
    #[test]
    fn a_truncated_stream_gives_the_whole_frames_before_the_cut(frames in frames(), cut in any::<usize>(), cuts in prop::collection::vec(any::<usize>(), 0..20)) {
        let stream = encode(&frames);
        let end = cut % (stream.len() + 1);
        let got = feed(&stream[..end], &cuts, 4);
        // The frames that end at or before `end`.
        let mut whole = Vec::new();
        let mut at = 0;
        for f in &frames {
            let next = at + HEADER + f.1.len();
            if next > end { break; }
            whole.push(f.clone());
            at = next;
        }
        prop_assert_eq!(got, Decoded { frames: whole, error: None, leftover: end - at });
    }

    /// Random bytes never panic nor read out of bounds; whatever is reported lies inside the
    /// buffer, frames tile it from the start, and an error stops the scan.
    #[test]
    fn random_bytes_are_scanned_safely(bytes in prop::collection::vec(any::<u8>(), 0..600), from in any::<usize>()) {
        let from = from % (bytes.len() + 1);
        let mut at = from;
        let scanned = scan(&bytes, from, |f| {
            assert_eq!(f.start, at + HEADER);
            assert!(f.start + f.len <= bytes.len());
            at = f.start + f.len;
            true
        });
        prop_assert_eq!(scanned.consumed, at);
        prop_assert!(!scanned.stopped);
        let rest = bytes.len() - at;
        match scanned.error {
            Some(_) => prop_assert!(rest >= HEADER),
            None if scanned.need > 0 => prop_assert!(scanned.need > rest && rest >= HEADER),
            None => prop_assert!(rest < HEADER),
        }
    }

    /// A malformed header after valid frames: those frames, then the error, whatever the cuts.
    #[test]
    fn a_bad_header_closes_after_the_frames_before_it(frames in frames(), bad in bad_header(), tail in prop::collection::vec(any::<u8>(), 0..50), cuts in prop::collection::vec(any::<usize>(), 0..20)) {
        let mut stream = encode(&frames);
        stream.extend_from_slice(&bad.0);
        stream.extend_from_slice(&tail);
        let got = feed(&stream, &cuts, 3);
        prop_assert_eq!(got, Decoded { frames, error: Some(bad.1), leftover: 0 });
    }
}

/// A header that must be refused, and the error it gives.
fn bad_header() -> impl Strategy<Value = ([u8; HEADER], FrameError)> {
    let unknown = (any::<u32>(), 4u8..=255).prop_map(|(len, kind)| {
        let l = len.to_be_bytes();
        (
            [l[0], l[1], l[2], l[3], kind],
            FrameError::UnknownKind(kind),
        )
    });
    let large = (
        prop_oneof![
            Just(MAX_PAYLOAD as u32 + 1),
            (MAX_PAYLOAD as u32 + 1)..=u32::MAX
        ],
        kind(),
    )
        .prop_map(|(len, kind)| {
            let l = len.to_be_bytes();
            ([l[0], l[1], l[2], l[3], kind], FrameError::TooLarge(len))
        });
    let short = (0u32..HANDLE_PREFIX as u32).prop_map(|len| {
        let l = len.to_be_bytes();
        (
            [l[0], l[1], l[2], l[3], KIND_HANDLE],
            FrameError::HandleTooShort(len),
        )
    });
    prop_oneof![unknown, large, short]
}

#[test]
fn sizes_at_every_boundary() {
    for len in [
        0,
        1,
        HEADER - 1,
        HEADER,
        HEADER + 1,
        64 * 1024 - 1,
        64 * 1024,
        64 * 1024 + 1,
    ] {
        let stream = encode(&[(KIND_RAW, vec![7; len]), (KIND_USER, vec![1])]);
        let got = feed(&stream, &[1, HEADER, HEADER + len, HEADER + len + 2], 8);
        assert_eq!(got.frames.len(), 2, "payload of {len} bytes");
        assert_eq!(got.frames[0].1.len(), len);
        assert_eq!(got.leftover, 0);
    }
}

#[test]
fn the_256_mib_limit_is_inclusive() {
    assert_eq!(check_header(MAX_PAYLOAD as u32, KIND_USER), Ok(MAX_PAYLOAD));
    assert_eq!(
        check_header(MAX_PAYLOAD as u32 + 1, KIND_RAW),
        Err(FrameError::TooLarge(MAX_PAYLOAD as u32 + 1))
    );
    // A header announcing the largest frame asks for all of it before anything is read.
    let mut header = (MAX_PAYLOAD as u32).to_be_bytes().to_vec();
    header.push(KIND_RAW);
    let scanned = scan(&header, 0, |_| panic!("no frame is complete"));
    assert_eq!(scanned.need, HEADER + MAX_PAYLOAD);
    assert_eq!(scanned.error, None);
}

#[test]
fn a_full_out_array_stops_the_scan_where_it_can_resume() {
    let stream = encode(&[
        (KIND_USER, vec![1]),
        (KIND_USER, vec![2, 2]),
        (KIND_USER, vec![]),
    ]);
    let mut seen = 0;
    let first = scan(&stream, 0, |_| {
        seen += 1;
        seen < 2
    });
    assert!(first.stopped);
    assert_eq!(first.consumed, 2 * HEADER + 3);
    let rest = scan(&stream, first.consumed, |f| f.len == 0);
    assert_eq!(rest.consumed, stream.len());
    assert!(!rest.stopped);
}
