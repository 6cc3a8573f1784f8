//! `sha256`: the SHA-256 digest of every fixed-size chunk of a byte array.
//!
//! Chunk `i` is `data[i * chunkSize .. min(len, (i + 1) * chunkSize)]` (the last one may be
//! short) and its digest lands in `out[32 * i .. 32 * i + 32]`. Chunks are hashed in parallel;
//! a single large chunk is fed to the hasher in pieces so the cancel flag is still polled.

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::Kernel;
use super::{
    ensure_disjoint, ensure_len, take_views, Cancelled, Ctx, Job, Params, RawView, SharedSlice,
};

/// Bytes of one digest.
const DIGEST: usize = 32;
/// Bytes hashed between two checks of the cancel flag (well under 1 ms at SHA-256 speeds).
const PIECE: usize = 256 << 10;
/// Below this many bytes the chunks are hashed on the calling thread.
const SERIAL_BYTES: usize = 64 << 10;
/// Largest accepted chunk size: 4 GiB (or `usize::MAX` if smaller).
const MAX_CHUNK_SIZE: usize = if usize::BITS >= 64 {
    (1u64 << 32) as usize
} else {
    usize::MAX
};

struct Sha256Chunks {
    chunk_size: usize,
    data: SharedSlice<u8>,
    out: SharedSlice<u8>,
}

impl Job for Sha256Chunks {
    fn run(&mut self, ctx: &Ctx<'_>) -> Result<f64, Cancelled> {
        // SAFETY: view contract (`view.rs`): `data` stays mapped (1) and nobody writes it
        // while the task runs, neither outside it (2) nor through `out` (4, checked in `prepare`).
        let data = unsafe { self.data.as_slice() };
        // SAFETY: view contract: `out` stays mapped (1), nobody outside the task touches it
        // (2, 3), it overlaps no other view (4), and this is the only slice made from it.
        let out = unsafe { self.out.as_mut() };
        sha256_chunks(data, self.chunk_size, out, ctx)?;
        Ok(0.0)
    }
}

/// `sha256`: `[chunkSize]`, views `[data, out]`.
pub static KERNEL: Kernel = Kernel {
    name: "sha256",
    prepare,
    outputs: &[1],
    limits: &[("chunkSize", MAX_CHUNK_SIZE as f64)],
};

pub(super) fn prepare(params: &Params<'_>, views: Vec<RawView>) -> Result<Box<dyn Job>, String> {
    let chunk_size = params.usize(0, "chunkSize", MAX_CHUNK_SIZE)?;
    if chunk_size == 0 {
        return Err("sha256: chunkSize must be at least 1, got 0".into());
    }
    let [data, out] = take_views::<2>("sha256", views)?;
    let out_len = data
        .len()
        .div_ceil(chunk_size)
        .checked_mul(DIGEST)
        .ok_or("sha256: data has too many chunks for out")?;
    ensure_len("sha256", "out", &out, out_len)?;
    ensure_disjoint("sha256", &out, &[("data", &data)])?;
    Ok(Box::new(Sha256Chunks {
        chunk_size,
        data: data.typed("data")?,
        out: out.typed("out")?,
    }))
}

/// Writes the SHA-256 digest of each `chunk_size`-byte chunk of `data` (the last may be
/// short; there are none when `data` is empty) to consecutive 32-byte slots of `out`,
/// hashing chunks in parallel on the current rayon pool when there is enough data (never when
/// `ctx.threads()` is 1).
pub fn sha256_chunks(
    data: &[u8],
    chunk_size: usize,
    out: &mut [u8],
    ctx: &Ctx<'_>,
) -> Result<(), Cancelled> {
    assert!(chunk_size > 0, "chunk_size must be at least 1");
    let chunks = data.len().div_ceil(chunk_size);
    assert_eq!(
        chunks.checked_mul(DIGEST),
        Some(out.len()),
        "out has the wrong length"
    );
    ctx.check()?;
    let one = |(chunk, digest): (&[u8], &mut [u8])| hash_chunk(chunk, digest, ctx);
    if data.len() < SERIAL_BYTES || chunks == 1 || ctx.threads() == 1 {
        data.chunks(chunk_size)
            .zip(out.chunks_mut(DIGEST))
            .try_for_each(one)
    } else {
        data.par_chunks(chunk_size)
            .zip(out.par_chunks_mut(DIGEST))
            .try_for_each(one)
    }
}

fn hash_chunk(chunk: &[u8], digest: &mut [u8], ctx: &Ctx<'_>) -> Result<(), Cancelled> {
    let mut hasher = Sha256::new();
    for piece in chunk.chunks(PIECE) {
        ctx.check()?;
        hasher.update(piece);
    }
    digest.copy_from_slice(&hasher.finalize());
    Ok(())
}

#[cfg(test)]
mod test {
    use std::sync::atomic::AtomicBool;

    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn run(data: &[u8], chunk_size: usize) -> Vec<u8> {
        let flag = AtomicBool::new(false);
        let mut out = vec![0u8; data.len().div_ceil(chunk_size) * DIGEST];
        sha256_chunks(data, chunk_size, &mut out, &Ctx::new(&flag)).unwrap();
        out
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
            .collect()
    }

    #[test]
    fn known_vectors() {
        assert_eq!(
            hex(&run(b"abc", 3)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&run(b"abc", 100)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(
            hex(&run(long, long.len())),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        // One million 'a's, hashed in several pieces.
        assert_eq!(
            hex(&run(&vec![b'a'; 1_000_000], 1_000_000)),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn chunking_and_short_last_chunk() {
        let out = run(b"abcab", 3);
        assert_eq!(out.len(), 64);
        assert_eq!(hex(&out[..32]), hex(&run(b"abc", 3)));
        // sha256("ab")
        assert_eq!(
            hex(&out[32..]),
            "fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603"
        );
        // Chunk size 1: one digest per byte.
        let single = run(b"abc", 1);
        assert_eq!(single.len(), 96);
        assert_eq!(&single[..32], &run(b"a", 7)[..]);
    }

    #[test]
    fn empty_data_has_no_chunks() {
        assert!(run(&[], 1).is_empty());
        assert!(run(&[], 1 << 20).is_empty());
    }

    #[test]
    fn parallel_matches_serial() {
        let data = pattern(300_007);
        for chunk_size in [1, 63, 64, 65, 4099, 100_000, 300_007, 1 << 30] {
            let mut want = Vec::new();
            for chunk in data.chunks(chunk_size) {
                want.extend_from_slice(&Sha256::digest(chunk));
            }
            for threads in [1, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let got = pool.install(|| run(&data, chunk_size));
                assert_eq!(got, want, "chunk size {chunk_size}, {threads} threads");
            }
        }
    }

    #[test]
    fn cancelled_before_start() {
        let flag = AtomicBool::new(true);
        let mut out = vec![0u8; 32];
        assert_eq!(
            sha256_chunks(b"abc", 3, &mut out, &Ctx::new(&flag)),
            Err(Cancelled)
        );
        assert_eq!(out, vec![0u8; 32]);
    }

    #[test]
    fn prepare_checks_arguments() {
        let mut data = pattern(10);
        let mut out = vec![0u8; 4 * DIGEST];
        let views = |data: &mut [u8], out: &mut [u8]| {
            vec![RawView::from_slice(data), RawView::from_slice(out)]
        };
        let ok = prepare(&Params::new("sha256", &[3.0]), views(&mut data, &mut out));
        assert!(ok.is_ok());
        let err = |p: &'static [f64], v| prepare(&Params::new("sha256", p), v).err().unwrap();
        assert!(err(&[0.0], views(&mut data, &mut out)).contains("chunkSize"));
        assert!(err(&[1.5], views(&mut data, &mut out)).contains("chunkSize"));
        assert!(err(&[4.0], views(&mut data, &mut out)).contains("out must"));
        let overlapping = vec![
            RawView::from_slice(&mut out),
            RawView::from_slice(&mut out[..32]),
        ];
        assert!(err(&[1000.0], overlapping).contains("overlap"));
    }
}
