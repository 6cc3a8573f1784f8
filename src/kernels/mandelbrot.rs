//! `mandelbrot`: escape-iteration count per pixel, row-major, bit-exact with the JS reference.
//!
//! The reference loop (see `lib/reference/mandelbrot.js`) is evaluated exactly: every operation
//! is a separate IEEE multiply/add/subtract/divide (Rust never contracts to FMA), and the AVX2
//! path computes four pixels per instruction with the same operations in the same order.

use rayon::prelude::*;

use super::Kernel;
use super::{ensure_len, take_views, Cancelled, Ctx, Job, Params, RawView, SharedSlice};

/// Pixels computed between two checks of the cancel flag.
const SEGMENT: usize = 256;
/// Below this many pixel-iterations the image is computed on the calling thread.
const SERIAL_WORK: usize = 1 << 16;
/// Largest accepted width, height and iteration count.
const MAX_SIDE: usize = 1 << 16;
const MAX_ITERATIONS: usize = u32::MAX as usize;

/// The image and the region of the complex plane it covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MandelbrotParams {
    pub width: usize,
    pub height: usize,
    pub max_iterations: u32,
    pub x_min: f64,
    pub x_max: f64,
    pub y_min: f64,
    pub y_max: f64,
}

struct Mandelbrot {
    params: MandelbrotParams,
    out: SharedSlice<u32>,
}

impl Job for Mandelbrot {
    fn run(&mut self, ctx: &Ctx<'_>) -> Result<f64, Cancelled> {
        // SAFETY: view contract (`view.rs`): `out` stays mapped (1), nobody outside the task
        // touches it (2, 3), and it is the task's only view; this is the only slice made from it.
        let out = unsafe { self.out.as_mut() };
        mandelbrot(&self.params, out, ctx)?;
        Ok(0.0)
    }
}

/// `mandelbrot`: `[width, height, maxIterations, xMin, xMax, yMin, yMax]`, views `[out]`.
pub static KERNEL: Kernel = Kernel {
    name: "mandelbrot",
    prepare,
    outputs: &[0],
    limits: &[
        ("width", MAX_SIDE as f64),
        ("height", MAX_SIDE as f64),
        ("maxIterations", MAX_ITERATIONS as f64),
    ],
};

impl MandelbrotParams {
    /// Reads and checks `[width, height, maxIterations, xMin, xMax, yMin, yMax]`.
    pub fn read(params: &Params<'_>) -> Result<Self, String> {
        Ok(Self {
            width: params.usize(0, "width", MAX_SIDE)?,
            height: params.usize(1, "height", MAX_SIDE)?,
            max_iterations: params.usize(2, "maxIterations", MAX_ITERATIONS)? as u32,
            x_min: params.f64(3, "xMin")?,
            x_max: params.f64(4, "xMax")?,
            y_min: params.f64(5, "yMin")?,
            y_max: params.f64(6, "yMax")?,
        })
    }
}

pub(super) fn prepare(params: &Params<'_>, views: Vec<RawView>) -> Result<Box<dyn Job>, String> {
    let p = MandelbrotParams::read(params)?;
    let [out] = take_views::<1>("mandelbrot", views)?;
    ensure_len("mandelbrot", "out", &out, p.width * p.height)?;
    Ok(Box::new(Mandelbrot {
        params: p,
        out: out.typed("out")?,
    }))
}

/// Fills `out` (`width * height` entries, row-major) with escape iteration counts, splitting
/// rows over the current rayon pool when the image is large enough to pay for it (never when
/// `ctx.threads()` is 1).
pub fn mandelbrot(p: &MandelbrotParams, out: &mut [u32], ctx: &Ctx<'_>) -> Result<(), Cancelled> {
    assert_eq!(out.len(), p.width * p.height, "out has the wrong length");
    if p.width == 0 || p.height == 0 {
        return Ok(());
    }
    let row = |(y, line): (usize, &mut [u32])| compute_row(p, y, line, ctx);
    let work = out.len().saturating_mul(p.max_iterations.max(1) as usize);
    if work < SERIAL_WORK || ctx.threads() == 1 {
        out.chunks_mut(p.width).enumerate().try_for_each(row)
    } else {
        out.par_chunks_mut(p.width).enumerate().try_for_each(row)
    }
}

/// Fills `rows` with image rows `first_row ..` (`rows.len()` must be a multiple of the width),
/// on the calling thread only: one band of the image for a process-pool child.
pub fn mandelbrot_rows(
    p: &MandelbrotParams,
    first_row: usize,
    rows: &mut [u32],
    ctx: &Ctx<'_>,
) -> Result<(), Cancelled> {
    if p.width == 0 {
        return Ok(());
    }
    assert_eq!(rows.len() % p.width, 0, "rows must hold whole image rows");
    assert!(
        first_row + rows.len() / p.width <= p.height,
        "rows extend past the image"
    );
    rows.chunks_mut(p.width)
        .enumerate()
        .try_for_each(|(i, line)| compute_row(p, first_row + i, line, ctx))
}

fn compute_row(
    p: &MandelbrotParams,
    y: usize,
    line: &mut [u32],
    ctx: &Ctx<'_>,
) -> Result<(), Cancelled> {
    let cy = p.y_min + (y as f64 * (p.y_max - p.y_min)) / p.height as f64;
    for (seg_index, seg) in line.chunks_mut(SEGMENT).enumerate() {
        ctx.check()?;
        let x0 = seg_index * SEGMENT;
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked just above at run time).
                unsafe { avx2::segment(p, cy, x0, seg) };
                continue;
            }
        }
        scalar_segment(p, cy, x0, seg);
    }
    Ok(())
}

/// The reference loop, one pixel at a time.
fn scalar_segment(p: &MandelbrotParams, cy: f64, x0: usize, seg: &mut [u32]) {
    for (i, px) in seg.iter_mut().enumerate() {
        let x = (x0 + i) as f64;
        let cx = p.x_min + (x * (p.x_max - p.x_min)) / p.width as f64;
        *px = escape(cx, cy, p.max_iterations);
    }
}

#[inline]
fn escape(cx: f64, cy: f64, max_iterations: u32) -> u32 {
    let (mut zr, mut zi) = (0.0f64, 0.0f64);
    let mut i = 0;
    while i < max_iterations {
        let zr2 = zr * zr;
        let zi2 = zi * zi;
        if zr2 + zi2 > 4.0 {
            break;
        }
        zi = 2.0 * zr * zi + cy;
        zr = zr2 - zi2 + cx;
        i += 1;
    }
    i
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{escape, MandelbrotParams};

    /// Four pixels at a time; the tail (fewer than four) goes through the scalar loop.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn segment(p: &MandelbrotParams, cy: f64, x0: usize, seg: &mut [u32]) {
        let span = _mm256_set1_pd(p.x_max - p.x_min);
        let width = _mm256_set1_pd(p.width as f64);
        let x_min = _mm256_set1_pd(p.x_min);
        let cyv = _mm256_set1_pd(cy);
        let four = _mm256_set1_pd(4.0);
        let two = _mm256_set1_pd(2.0);
        let one = _mm256_set1_pd(1.0);
        let mut quads = seg.chunks_exact_mut(4);
        let mut x = x0;
        for quad in &mut quads {
            let xs = _mm256_set_pd((x + 3) as f64, (x + 2) as f64, (x + 1) as f64, x as f64);
            // cx = xMin + (x * (xMax - xMin)) / width, in this order.
            let cx = _mm256_add_pd(x_min, _mm256_div_pd(_mm256_mul_pd(xs, span), width));
            let mut zr = _mm256_setzero_pd();
            let mut zi = _mm256_setzero_pd();
            let mut count = _mm256_setzero_pd();
            let mut active = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
            for _ in 0..p.max_iterations {
                let zr2 = _mm256_mul_pd(zr, zr);
                let zi2 = _mm256_mul_pd(zi, zi);
                let escaped = _mm256_cmp_pd::<_CMP_GT_OQ>(_mm256_add_pd(zr2, zi2), four);
                active = _mm256_andnot_pd(escaped, active);
                if _mm256_movemask_pd(active) == 0 {
                    break;
                }
                count = _mm256_add_pd(count, _mm256_and_pd(active, one));
                // zi = (2 * zr) * zi + cy; zr = zr2 - zi2 + cx
                zi = _mm256_add_pd(_mm256_mul_pd(_mm256_mul_pd(two, zr), zi), cyv);
                zr = _mm256_add_pd(_mm256_sub_pd(zr2, zi2), cx);
            }
            let mut lanes = [0.0f64; 4];
            // SAFETY: `lanes` is 4 f64 long, exactly one __m256d; storeu has no alignment need.
            unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), count) };
            for (px, c) in quad.iter_mut().zip(lanes) {
                *px = c as u32;
            }
            x += 4;
        }
        for px in quads.into_remainder() {
            let cx = p.x_min + (x as f64 * (p.x_max - p.x_min)) / p.width as f64;
            *px = escape(cx, cy, p.max_iterations);
            x += 1;
        }
    }
}

#[cfg(test)]
mod test {
    use std::sync::atomic::AtomicBool;

    use super::*;

    fn params(width: usize, height: usize, max_iterations: u32) -> MandelbrotParams {
        MandelbrotParams {
            width,
            height,
            max_iterations,
            x_min: -2.0,
            x_max: 0.5,
            y_min: -1.25,
            y_max: 1.25,
        }
    }

    #[test]
    fn simd_matches_scalar_bit_for_bit() {
        let flag = AtomicBool::new(false);
        let ctx = Ctx::new(&flag);
        for (w, h, it) in [(1, 1, 10), (7, 5, 50), (33, 17, 200), (257, 3, 1000)] {
            let p = params(w, h, it);
            let mut fast = vec![0u32; w * h];
            mandelbrot(&p, &mut fast, &ctx).unwrap();
            let mut slow = vec![0u32; w * h];
            for (y, line) in slow.chunks_mut(w).enumerate() {
                let cy = p.y_min + (y as f64 * (p.y_max - p.y_min)) / p.height as f64;
                scalar_segment(&p, cy, 0, line);
            }
            assert_eq!(fast, slow, "{w}x{h}@{it}");
        }
    }

    #[test]
    fn bands_match_the_whole_image() {
        let flag = AtomicBool::new(false);
        let p = params(37, 23, 300);
        let mut whole = vec![0u32; 37 * 23];
        mandelbrot(&p, &mut whole, &Ctx::new(&flag)).unwrap();
        let mut banded = vec![0u32; 37 * 23];
        for (y0, y1) in [(0, 5), (5, 6), (6, 23)] {
            let rows = &mut banded[y0 * 37..y1 * 37];
            mandelbrot_rows(&p, y0, rows, &Ctx::serial(&flag)).unwrap();
        }
        assert_eq!(banded, whole);
    }

    #[test]
    fn known_points() {
        // c = 0 never escapes; c = -2 + 0i sits on the boundary (|z| = 2 is not > 2).
        assert_eq!(escape(0.0, 0.0, 100), 100);
        assert_eq!(escape(1.0, 1.0, 100), 2);
        assert_eq!(escape(-2.0, 0.0, 100), 100);
    }

    #[test]
    fn cancelled_before_start() {
        let flag = AtomicBool::new(true);
        let mut out = vec![0u32; 16];
        assert_eq!(
            mandelbrot(&params(4, 4, 10), &mut out, &Ctx::new(&flag)),
            Err(Cancelled)
        );
    }

    #[test]
    fn zero_iterations_gives_zero() {
        let flag = AtomicBool::new(false);
        let mut out = vec![7u32; 12];
        mandelbrot(&params(4, 3, 0), &mut out, &Ctx::new(&flag)).unwrap();
        assert!(out.iter().all(|&v| v == 0));
    }
}
