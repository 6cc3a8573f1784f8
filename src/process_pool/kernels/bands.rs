//! Kernels split into bands of rows: each part computes whole rows of the output.

use crate::kernels::{self, blur_band, mandelbrot_rows, Ctx, MandelbrotParams, Params, RawView};

use super::super::protocol::Reply;
use super::{ranges, Fail, Finish, PView, Plan};

pub(super) fn mandelbrot_params(p: &[f64]) -> Result<MandelbrotParams, String> {
    MandelbrotParams::read(&Params::new("mandelbrot", p))
}

/// Row bands of the image: part params are the kernel's plus the band's first row.
pub(super) fn plan_mandelbrot(p: &[f64], views: &[PView], n: usize) -> Plan {
    let (width, height) = (p[0] as usize, p[1] as usize);
    let out = &views[0];
    let parts = if width == 0 {
        vec![]
    } else {
        ranges(height, n)
            .into_iter()
            .map(|(y0, y1)| {
                let mut params = p.to_vec();
                params.push(y0 as f64);
                (params, vec![out.sub(y0 * width, y1 * width)])
            })
            .collect()
    };
    Plan {
        parts,
        finish: Finish::Nothing,
    }
}

pub(super) fn part_mandelbrot(
    p: &[f64],
    views: Vec<RawView>,
    ctx: &Ctx<'_>,
) -> Result<Reply, Fail> {
    let params = mandelbrot_params(p)?;
    let first = Params::new("mandelbrot", p).usize(7, "firstRow", params.height)?;
    let [rows] = kernels::take_views::<1>("mandelbrot", views)?;
    if params.width == 0
        || rows.len() % params.width != 0
        || first + rows.len() / params.width > params.height
    {
        return Err(Fail::Invalid(
            "mandelbrot: the band does not fit the image".into(),
        ));
    }
    let rows = rows.typed::<u32>("out")?;
    // SAFETY: the band is this part's exclusive share of the output (parts are disjoint row
    // ranges) and stays mapped while the child runs it.
    mandelbrot_rows(&params, first, unsafe { rows.as_mut() }, ctx)?;
    Ok(Reply::Value(0.0))
}

/// Row bands, each with `radius` halo rows of input on either side (clamped to the image):
/// part params are `[width, radius, first]` where `first` is the band's first output row
/// within its input rows.
pub(super) fn plan_blur(p: &[f64], views: &[PView], n: usize) -> Plan {
    let (width, height, radius) = (p[0] as usize, p[1] as usize, p[2] as usize);
    let line = width * 4;
    let (pixels, out) = (&views[0], &views[1]);
    let parts = if line == 0 {
        vec![]
    } else {
        ranges(height, n)
            .into_iter()
            .map(|(y0, y1)| {
                let h0 = y0.saturating_sub(radius);
                let h1 = (y1 + radius).min(height);
                (
                    vec![width as f64, radius as f64, (y0 - h0) as f64],
                    vec![
                        pixels.sub(h0 * line, h1 * line),
                        out.sub(y0 * line, y1 * line),
                    ],
                )
            })
            .collect()
    };
    Plan {
        parts,
        finish: Finish::Nothing,
    }
}

pub(super) fn part_blur(p: &[f64], views: Vec<RawView>, ctx: &Ctx<'_>) -> Result<Reply, Fail> {
    let params = Params::new("blur", p);
    let width = params.usize(0, "width", 1 << 16)?;
    let radius = params.usize(1, "radius", 1 << 16)?;
    let first = params.usize(2, "first", 1 << 16)?;
    let [pixels, out] = kernels::take_views::<2>("blur", views)?;
    let line = width * 4;
    if line == 0
        || pixels.len() % line != 0
        || out.len() % line != 0
        || first * line + out.len() > pixels.len()
    {
        return Err(Fail::Invalid(
            "blur: the band does not fit its input rows".into(),
        ));
    }
    kernels::ensure_disjoint("blur", &out, &[("pixels", &pixels)])?;
    let (pixels, out) = (pixels.typed::<u8>("pixels")?, out.typed::<u8>("out")?);
    // SAFETY: `pixels` is input that nobody writes while the task runs (and `out` does not
    // overlap it, checked above); `out` is this part's exclusive band of the output. Both stay
    // mapped (or, for a one-shot child, are its own copy) while the child runs.
    let (pixels, out) = unsafe { (pixels.as_slice(), out.as_mut()) };
    blur_band(pixels, width, radius, first, out, ctx)?;
    Ok(Reply::Value(0.0))
}

/// Below this many multiply-adds a product is one part: splitting it would cost more round
/// trips than it saves (ThreadPool computes products this small on one thread, too).
const MATMUL_SERIAL_WORK: usize = 1 << 18;

/// Row bands of `a` and `out`: a part computes `out` rows `[r0, r1)` from `a` rows
/// `[r0, r1)` and all of `b`, as the ThreadPool kernel with `n = r1 - r0` (params
/// `[rows, k, m]`). Every element is the same sum, blocked along `k` the same way, as in the
/// whole product: the result is bit for bit ThreadPool's, whatever the number of parts.
pub(super) fn plan_matmul(p: &[f64], views: &[PView], n: usize) -> Plan {
    let (rows, k, m) = (p[0] as usize, p[1] as usize, p[2] as usize);
    let [a, b, out] = views else {
        return Plan {
            parts: vec![],
            finish: Finish::Nothing,
        };
    };
    let work = rows.saturating_mul(k).saturating_mul(m);
    let n = if work < MATMUL_SERIAL_WORK { 1 } else { n };
    // An empty `out` (no rows or no columns) needs no part at all.
    let parts = if m == 0 {
        vec![]
    } else {
        ranges(rows, n)
            .into_iter()
            .map(|(r0, r1)| {
                (
                    vec![(r1 - r0) as f64, k as f64, m as f64],
                    vec![a.sub(r0 * k, r1 * k), b.clone(), out.sub(r0 * m, r1 * m)],
                )
            })
            .collect()
    };
    Plan {
        parts,
        finish: Finish::Nothing,
    }
}
