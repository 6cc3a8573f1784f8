//! `blur`: separable box blur of an RGBA image, bit-exact with the JS reference.
//!
//! With `d = 2 * radius + 1`, a horizontal pass writes
//! `tmp[p] = floor((sum of the d horizontal neighbours + radius) / d)` and a vertical pass writes
//! `out[p] = floor((sum of the d vertical neighbours in tmp + radius) / d)`, for every channel
//! alike; neighbour coordinates outside the image clamp to the nearest edge. Both passes keep
//! running sums, so the cost per pixel does not depend on the radius.
//!
//! The horizontal pass splits rows over the pool; the vertical pass splits bands of rows, each
//! band starting its running sums afresh from `tmp` (which is complete by then).

use rayon::prelude::*;

use super::Kernel;
use super::{
    ensure_disjoint, ensure_len, take_views, Cancelled, Ctx, Job, Params, RawView, SharedSlice,
};

/// Channels per pixel (RGBA).
const CHANNELS: usize = 4;
/// Largest accepted width and height.
const MAX_SIDE: usize = 1 << 16;
/// Largest accepted radius; keeps every window sum (at most `255 * d + radius`) far below
/// `u32::MAX` and within the range of [`Divider`].
const MAX_RADIUS: usize = (1 << 16) - 1;
/// Below this many pixels the image is blurred on the calling thread.
const SERIAL_PIXELS: usize = 1 << 14;

struct Blur {
    width: usize,
    height: usize,
    radius: usize,
    pixels: SharedSlice<u8>,
    out: SharedSlice<u8>,
}

impl Job for Blur {
    fn run(&mut self, ctx: &Ctx<'_>) -> Result<f64, Cancelled> {
        // SAFETY: view contract (`view.rs`): `pixels` stays mapped (1) and nobody writes it
        // while the task runs, neither outside it (2) nor through `out` (4, checked in `prepare`).
        let pixels = unsafe { self.pixels.as_slice() };
        // SAFETY: view contract: `out` stays mapped (1), nobody outside the task touches it
        // (2, 3), it overlaps no other view (4), and this is the only slice made from it.
        let out = unsafe { self.out.as_mut() };
        blur(pixels, self.width, self.height, self.radius, out, ctx)?;
        Ok(0.0)
    }
}

/// `blur`: `[width, height, radius]`, views `[pixels, out]`.
pub static KERNEL: Kernel = Kernel {
    name: "blur",
    prepare,
    outputs: &[1],
    limits: &[
        ("width", MAX_SIDE as f64),
        ("height", MAX_SIDE as f64),
        ("radius", MAX_RADIUS as f64),
    ],
};

pub(super) fn prepare(params: &Params<'_>, views: Vec<RawView>) -> Result<Box<dyn Job>, String> {
    let width = params.usize(0, "width", MAX_SIDE)?;
    let height = params.usize(1, "height", MAX_SIDE)?;
    let radius = params.usize(2, "radius", MAX_RADIUS)?;
    let len = width
        .checked_mul(height)
        .and_then(|px| px.checked_mul(CHANNELS))
        .ok_or_else(|| format!("blur: a {width} x {height} image is too large"))?;
    let [pixels, out] = take_views::<2>("blur", views)?;
    ensure_len("blur", "pixels", &pixels, len)?;
    ensure_len("blur", "out", &out, len)?;
    ensure_disjoint("blur", &out, &[("pixels", &pixels)])?;
    Ok(Box::new(Blur {
        width,
        height,
        radius,
        pixels: pixels.typed("pixels")?,
        out: out.typed("out")?,
    }))
}

/// Box-blurs the `width x height` RGBA image `pixels` (row-major, 4 bytes per pixel) with the
/// given `radius` into `out`, splitting rows over the current rayon pool when the image is
/// large enough to pay for it (never when `ctx.threads()` is 1). Allocates one temporary image of the same size.
pub fn blur(
    pixels: &[u8],
    width: usize,
    height: usize,
    radius: usize,
    out: &mut [u8],
    ctx: &Ctx<'_>,
) -> Result<(), Cancelled> {
    let len = width
        .checked_mul(height)
        .and_then(|px| px.checked_mul(CHANNELS));
    assert_eq!(len, Some(pixels.len()), "pixels has the wrong length");
    assert_eq!(pixels.len(), out.len(), "out has the wrong length");
    assert!(radius <= MAX_RADIUS, "radius is too large");
    ctx.check()?;
    if pixels.is_empty() {
        return Ok(());
    }
    let div = Divider::new(radius);
    let line = width * CHANNELS;
    let mut tmp = vec![0u8; pixels.len()];
    let horizontal = |(src, dst): (&[u8], &mut [u8])| horizontal_row(src, dst, radius, div, ctx);
    let threads = ctx.threads();
    if width * height < SERIAL_PIXELS || threads == 1 {
        pixels
            .chunks(line)
            .zip(tmp.chunks_mut(line))
            .try_for_each(horizontal)?;
        vertical_band(&tmp, line, radius, 0, out, div, ctx)
    } else {
        pixels
            .par_chunks(line)
            .zip(tmp.par_chunks_mut(line))
            .try_for_each(horizontal)?;
        let band_rows = height.div_ceil(threads * 2);
        out.par_chunks_mut(band_rows * line)
            .enumerate()
            .try_for_each(|(band, rows)| {
                vertical_band(&tmp, line, radius, band * band_rows, rows, div, ctx)
            })
    }
}

/// Blurs one band of output rows on the calling thread only (a process-pool child's share).
///
/// `pixels` holds image rows `h0 .. h0 + pixels.len() / line` where `h0 = max(0, y0 - radius)`
/// and the band ends at `min(height, y1 + radius)`: the output rows `y0 .. y1` plus up to
/// `radius` halo rows on each side, clamped to the image. `first` is `y0 - h0` and `out` holds
/// the rows `y0 .. y1`. Because the halo covers every vertical window of the band and is cut
/// only at the image's own edges, clamping inside the band is clamping in the image, and the
/// rows come out exactly as [`blur`] computes them.
pub fn blur_band(
    pixels: &[u8],
    width: usize,
    radius: usize,
    first: usize,
    out: &mut [u8],
    ctx: &Ctx<'_>,
) -> Result<(), Cancelled> {
    assert!(radius <= MAX_RADIUS, "radius is too large");
    ctx.check()?;
    let line = width * CHANNELS;
    if line == 0 || out.is_empty() {
        return Ok(());
    }
    assert_eq!(pixels.len() % line, 0, "pixels must hold whole rows");
    assert_eq!(out.len() % line, 0, "out must hold whole rows");
    assert!(
        first * line + out.len() <= pixels.len(),
        "out rows must lie inside the band"
    );
    let div = Divider::new(radius);
    let mut tmp = vec![0u8; pixels.len()];
    pixels
        .chunks(line)
        .zip(tmp.chunks_mut(line))
        .try_for_each(|(src, dst)| horizontal_row(src, dst, radius, div, ctx))?;
    vertical_band(&tmp, line, radius, first, out, div, ctx)
}

/// The horizontal pass over one row of pixels.
fn horizontal_row(
    src: &[u8],
    dst: &mut [u8],
    radius: usize,
    div: Divider,
    ctx: &Ctx<'_>,
) -> Result<(), Cancelled> {
    ctx.check()?;
    let mut sums = [0u32; CHANNELS];
    window_start(src, CHANNELS, radius, 0, &mut sums, None)?;
    // `window_emit` with the lane count fixed at compile time, and without clamping in the
    // middle of the row, where the window lies wholly inside the image.
    let (pixels, _) = src.as_chunks::<CHANNELS>();
    let (outs, _) = dst.as_chunks_mut::<CHANNELS>();
    let width = pixels.len();
    let last = width - 1;
    let step = |out: &mut [u8; CHANNELS],
                sums: &mut [u32; CHANNELS],
                add: &[u8; CHANNELS],
                drop: &[u8; CHANNELS]| {
        for (((o, s), &a), &r) in out.iter_mut().zip(sums).zip(add).zip(drop) {
            *o = div.floor_div(*s) as u8;
            *s = *s + u32::from(a) - u32::from(r);
        }
    };
    let clamped = |x: usize, out: &mut [u8; CHANNELS], sums: &mut [u32; CHANNELS]| {
        step(
            out,
            sums,
            &pixels[(x + radius + 1).min(last)],
            &pixels[x.saturating_sub(radius)],
        );
    };
    // Unclamped for x - radius >= 0 and x + radius + 1 <= last.
    let (mid_start, mid_end) = (radius, width.saturating_sub(radius + 1));
    if mid_start < mid_end {
        let (head, rest) = outs.split_at_mut(mid_start);
        let (mid, tail) = rest.split_at_mut(mid_end - mid_start);
        for (x, out) in head.iter_mut().enumerate() {
            clamped(x, out, &mut sums);
        }
        let adds = &pixels[mid_start + radius + 1..];
        for ((out, drop), add) in mid.iter_mut().zip(pixels).zip(adds) {
            step(out, &mut sums, add, drop);
        }
        for (x, out) in tail.iter_mut().enumerate() {
            clamped(mid_end + x, out, &mut sums);
        }
    } else {
        for (x, out) in outs.iter_mut().enumerate() {
            clamped(x, out, &mut sums);
        }
    }
    Ok(())
}

/// The vertical pass over the output rows `first_row ..` held in `band`, reading the complete
/// horizontal pass `tmp` (rows of `line` bytes).
fn vertical_band(
    tmp: &[u8],
    line: usize,
    radius: usize,
    first_row: usize,
    band: &mut [u8],
    div: Divider,
    ctx: &Ctx<'_>,
) -> Result<(), Cancelled> {
    let mut sums = vec![0u32; line];
    window_start(tmp, line, radius, first_row, &mut sums, Some(ctx))?;
    for (i, row) in band.chunks_exact_mut(line).enumerate() {
        ctx.check()?;
        window_emit(tmp, line, radius, first_row + i, &mut sums, row, div);
    }
    Ok(())
}

/// Sets `sums` to the window sums for position `at` along an axis of `src`, read as lines of
/// `lanes` bytes: lane `c` gets the sum of lane `c` over lines `at - radius ..= at + radius`,
/// each clamped to the existing lines. Lines clamped to an edge are counted by multiplication,
/// so this costs at most one pass over `src`. Polls `ctx` (if given) once per line read.
fn window_start(
    src: &[u8],
    lanes: usize,
    radius: usize,
    at: usize,
    sums: &mut [u32],
    ctx: Option<&Ctx<'_>>,
) -> Result<(), Cancelled> {
    let last = src.len() / lanes - 1;
    let line = |y: usize| &src[y * lanes..(y + 1) * lanes];
    let lo = at.saturating_sub(radius);
    let hi = at + radius;
    // Window positions before line 0 and after the last line repeat the edge lines.
    let before = (radius - (at - lo)) as u32;
    let after = hi.saturating_sub(last) as u32;
    for ((s, &first), &end) in sums.iter_mut().zip(line(0)).zip(line(last)) {
        *s = before * u32::from(first) + after * u32::from(end);
    }
    for y in lo..=hi.min(last) {
        if let Some(ctx) = ctx {
            ctx.check()?;
        }
        for (s, &v) in sums.iter_mut().zip(line(y)) {
            *s += u32::from(v);
        }
    }
    Ok(())
}

/// Writes the blurred line `at` to `dst` from the window sums for `at`, then slides the sums to
/// position `at + 1` (dropping clamped line `at - radius`, adding clamped line `at + radius + 1`).
#[inline]
fn window_emit(
    src: &[u8],
    lanes: usize,
    radius: usize,
    at: usize,
    sums: &mut [u32],
    dst: &mut [u8],
    div: Divider,
) {
    let last = src.len() / lanes - 1;
    let add = &src[(at + radius + 1).min(last) * lanes..][..lanes];
    let drop = &src[at.saturating_sub(radius) * lanes..][..lanes];
    for (((d, s), &a), &r) in dst.iter_mut().zip(sums.iter_mut()).zip(add).zip(drop) {
        *d = div.floor_div(*s) as u8;
        *s = *s + u32::from(a) - u32::from(r);
    }
}

/// Computes `floor((sum + radius) / d)` for `d = 2 * radius + 1` and `sum <= 255 * d` with a
/// multiply and a shift instead of a division (which also lets the vertical pass vectorise).
///
/// Let `n = sum + radius < 256 * d`, `k = 8 + ceil(log2(d^2))`, `M = ceil(2^k / d)` and
/// `e = M * d - 2^k < d`. Then `n * M / 2^k = n / d + n * e / (d * 2^k)` and
/// `n * e < 256 * d^2 <= 2^k`, so the error term stays below `1 / d` and cannot carry
/// `n / d` (whose fraction is at most `(d - 1) / d`) past the next integer.
/// As `2^k < 512 * d^2`, `M <= 512 * d < 2^27` and `n * M < 2^52`: it all fits in 32/64 bits.
/// The test checks every odd `d` in range.
#[derive(Debug, Clone, Copy)]
struct Divider {
    radius: u32,
    magic: u32,
    shift: u32,
}

impl Divider {
    fn new(radius: usize) -> Self {
        let d = 2 * radius as u64 + 1;
        let square = d * d;
        let shift = 8 + (u64::BITS - (square - 1).leading_zeros());
        Self {
            radius: radius as u32,
            magic: (1u64 << shift).div_ceil(d) as u32,
            shift,
        }
    }

    #[inline]
    fn floor_div(self, sum: u32) -> u32 {
        ((u64::from(sum + self.radius) * u64::from(self.magic)) >> self.shift) as u32
    }
}

#[cfg(test)]
mod test {
    use std::sync::atomic::AtomicBool;

    use super::*;

    /// The JS reference, directly: O(d) work per pixel and channel.
    fn naive(pixels: &[u8], width: usize, height: usize, radius: usize) -> Vec<u8> {
        let d = (2 * radius + 1) as u64;
        let at = |x: usize, y: usize, c: usize| (y * width + x) * 4 + c;
        let clamp = |v: isize, n: usize| v.clamp(0, n as isize - 1) as usize;
        let r = radius as isize;
        let mut tmp = vec![0u8; pixels.len()];
        let mut out = vec![0u8; pixels.len()];
        for y in 0..height {
            for x in 0..width {
                for c in 0..4 {
                    let sum: u64 = (-r..=r)
                        .map(|dx| u64::from(pixels[at(clamp(x as isize + dx, width), y, c)]))
                        .sum();
                    tmp[at(x, y, c)] = ((sum + radius as u64) / d) as u8;
                }
            }
        }
        for y in 0..height {
            for x in 0..width {
                for c in 0..4 {
                    let sum: u64 = (-r..=r)
                        .map(|dy| u64::from(tmp[at(x, clamp(y as isize + dy, height), c)]))
                        .sum();
                    out[at(x, y, c)] = ((sum + radius as u64) / d) as u8;
                }
            }
        }
        out
    }

    fn image(width: usize, height: usize, seed: u32) -> Vec<u8> {
        let mut state = seed.wrapping_mul(0x9e37_79b9) | 1;
        (0..width * height * 4)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 24) as u8
            })
            .collect()
    }

    fn run(pixels: &[u8], width: usize, height: usize, radius: usize) -> Vec<u8> {
        let flag = AtomicBool::new(false);
        let mut out = vec![0u8; pixels.len()];
        blur(pixels, width, height, radius, &mut out, &Ctx::new(&flag)).unwrap();
        out
    }

    #[test]
    fn divider_is_exact_for_every_radius() {
        // floor(n * M / 2^k) is non-decreasing in n, so it equals floor(n / d) on the whole
        // range once it is right on both sides of every multiple of d.
        for radius in 0..=MAX_RADIUS {
            let div = Divider::new(radius);
            let d = 2 * radius as u32 + 1;
            for q in 1..=255u32 {
                // n = sum + radius: check n = q*d - 1 and n = q*d.
                let sum = q * d - 1 - radius as u32;
                assert_eq!(div.floor_div(sum), q - 1, "d {d}, n {}", q * d - 1);
                assert_eq!(div.floor_div(sum + 1), q, "d {d}, n {}", q * d);
            }
            assert_eq!(div.floor_div(255 * d), 255, "d {d}, top of range");
        }
    }

    #[test]
    fn hand_checked_row() {
        // One row of 3 pixels, radius 1, only the red channel varies.
        let pixels = [0, 0, 0, 0, 30, 0, 0, 0, 90, 0, 0, 0];
        // tmp: x0: (0+0+30+1)/3=10, x1: (0+30+90+1)/3=40, x2: (30+90+90+1)/3=70.
        // Vertically a single row: (3t + 1) / 3 = t.
        let out = run(&pixels, 3, 1, 1);
        assert_eq!(out, vec![10, 0, 0, 0, 40, 0, 0, 0, 70, 0, 0, 0]);
    }

    #[test]
    fn radius_zero_is_identity() {
        let pixels = image(7, 5, 1);
        assert_eq!(run(&pixels, 7, 5, 0), pixels);
    }

    #[test]
    fn empty_images() {
        assert!(run(&[], 0, 0, 3).is_empty());
        assert!(run(&[], 0, 9, 3).is_empty());
        assert!(run(&[], 9, 0, 3).is_empty());
    }

    #[test]
    fn matches_naive() {
        let sizes = [(1, 1), (1, 7), (7, 1), (2, 3), (13, 11), (31, 17), (64, 3)];
        for (w, h) in sizes {
            let pixels = image(w, h, (w * 100 + h) as u32);
            for radius in [0, 1, 2, 3, 5, 16, 40, 1000] {
                let want = naive(&pixels, w, h, radius);
                assert_eq!(run(&pixels, w, h, radius), want, "{w}x{h} r{radius}");
            }
        }
    }

    #[test]
    fn extreme_values_at_max_radius() {
        let pixels = vec![255u8; 3 * 2 * 4];
        assert_eq!(run(&pixels, 3, 2, MAX_RADIUS), pixels);
        let mut mixed = vec![0u8; 5 * 4];
        mixed[..4].copy_from_slice(&[255; 4]);
        assert_eq!(
            run(&mixed, 5, 1, MAX_RADIUS),
            naive(&mixed, 5, 1, MAX_RADIUS)
        );
    }

    #[test]
    fn parallel_matches_serial() {
        // 211 x 97 = 20467 pixels: above the serial threshold, rows not divisible by threads.
        let (w, h) = (211, 97);
        let pixels = image(w, h, 9);
        for radius in [0, 1, 4, 30, 120] {
            let want = naive(&pixels, w, h, radius);
            for threads in [1, 2, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let got = pool.install(|| run(&pixels, w, h, radius));
                assert!(got == want, "r{radius}, {threads} threads");
            }
        }
    }

    #[test]
    fn bands_with_halo_rows_match_the_whole_image() {
        let flag = AtomicBool::new(false);
        let (w, h) = (23, 19);
        let pixels = image(w, h, 5);
        let line = w * 4;
        for radius in [0, 1, 3, 7, 30] {
            let want = naive(&pixels, w, h, radius);
            for (y0, y1) in [
                (0usize, 19usize),
                (0, 1),
                (0, 9),
                (9, 19),
                (4, 11),
                (18, 19),
            ] {
                let h0 = y0.saturating_sub(radius);
                let h1 = (y1 + radius).min(h);
                let mut out = vec![0u8; (y1 - y0) * line];
                let band = &pixels[h0 * line..h1 * line];
                blur_band(band, w, radius, y0 - h0, &mut out, &Ctx::serial(&flag)).unwrap();
                assert!(
                    out == want[y0 * line..y1 * line],
                    "r{radius} rows {y0}..{y1}"
                );
            }
        }
    }

    #[test]
    fn cancelled_before_start() {
        let flag = AtomicBool::new(true);
        let pixels = image(4, 4, 2);
        let mut out = vec![0u8; pixels.len()];
        assert_eq!(
            blur(&pixels, 4, 4, 1, &mut out, &Ctx::new(&flag)),
            Err(Cancelled)
        );
    }

    #[test]
    fn prepare_checks_arguments() {
        let mut pixels = vec![0u8; 2 * 3 * 4];
        let mut out = vec![0u8; 2 * 3 * 4];
        let views =
            |p: &mut [u8], o: &mut [u8]| vec![RawView::from_slice(p), RawView::from_slice(o)];
        let prep = |p: &'static [f64], v| prepare(&Params::new("blur", p), v);
        assert!(prep(&[2.0, 3.0, 1.0], views(&mut pixels, &mut out)).is_ok());
        let err = |p: &'static [f64], v| prep(p, v).err().unwrap();
        assert!(err(&[3.0, 3.0, 1.0], views(&mut pixels, &mut out)).contains("pixels must"));
        assert!(err(&[2.0, 3.0, -1.0], views(&mut pixels, &mut out)).contains("radius"));
        assert!(err(&[2.0, 3.0, 1e9], views(&mut pixels, &mut out)).contains("radius"));
        assert!(err(&[1e9, 3.0, 1.0], views(&mut pixels, &mut out)).contains("width"));
        let overlapping = vec![
            RawView::from_slice(&mut pixels),
            RawView::from_slice(&mut pixels),
        ];
        assert!(err(&[2.0, 3.0, 1.0], overlapping).contains("overlap"));
        let mut short = vec![0u8; 4];
        assert!(err(&[2.0, 3.0, 1.0], views(&mut pixels, &mut short)).contains("out must"));
    }
}
