//! The process pool's kernel table: how each kernel is split into parts in the parent
//! ([`ProcKernel::plan`]) and how a child computes one part ([`ProcKernel::part`]).
//!
//! Children run every kernel with [`Ctx::serial`], so kernels must take their serial path and
//! never touch rayon when `ctx.threads()` is 1 (nor do anything else `docs/fork.md` forbids).
//! `matmul` and `histogram` are not in the table yet: they were being rewritten when it was
//! built. Each becomes an entry here once reviewed against `docs/fork.md` (matmul: row bands
//! of `a` and `out`; histogram: ranges of `data` whose partial counts the parent sums).

use std::sync::Arc;

use crate::kernels::{
    self, blur_band, count_primes_between, mandelbrot_rows, Cancelled, Ctx, ElemKind,
    MandelbrotParams, Params, RawView,
};
use crate::shm::Segment;

use super::protocol::{Loc, ViewSpec};

/// A view of a task as the parent holds it.
#[derive(Debug, Clone)]
pub(super) struct PView {
    /// Address in the parent.
    pub(super) addr: usize,
    /// Elements.
    pub(super) len: usize,
    pub(super) kind: ElemKind,
    /// The segment it lies in and its byte offset there (None: ordinary memory).
    pub(super) segment: Option<(Arc<Segment>, usize)>,
}

impl PView {
    /// Elements `start .. end` of this view.
    fn sub(&self, start: usize, end: usize) -> PView {
        debug_assert!(start <= end && end <= self.len);
        let skip = start * self.kind.size();
        PView {
            addr: self.addr + skip,
            len: end - start,
            kind: self.kind,
            segment: self
                .segment
                .as_ref()
                .map(|(s, off)| (s.clone(), off + skip)),
        }
    }

    /// How a child finds this view: through its own mapping of the segment (persistent
    /// children), or at the parent's address (one-shot children, which inherited it all).
    pub(super) fn spec(&self, one_shot: bool) -> ViewSpec {
        let loc = match (&self.segment, one_shot) {
            (Some((segment, offset)), false) => Loc::Segment {
                id: segment.id(),
                offset: *offset as u64,
            },
            _ => Loc::Addr(self.addr as u64),
        };
        ViewSpec {
            loc,
            len: self.len as u64,
            kind: self.kind,
        }
    }
}

/// What the parent does once every part has reported.
#[derive(Debug)]
pub(super) enum Finish {
    /// Nothing: the parts wrote the output.
    Nothing,
    /// The task's value is the sum of the parts' values.
    Sum,
    /// Merge the sorted runs of `data` that start at `starts`.
    Merge { data: PView, starts: Vec<usize> },
}

/// A task cut into parts.
#[derive(Debug)]
pub(super) struct Plan {
    /// Parameters and views of each part (views as the parent sees them).
    pub(super) parts: Vec<(Vec<f64>, Vec<PView>)>,
    pub(super) finish: Finish,
}

/// Why a child did not finish a part.
#[derive(Debug)]
pub(super) enum Fail {
    Cancelled,
    Invalid(String),
}

impl From<Cancelled> for Fail {
    fn from(_: Cancelled) -> Self {
        Fail::Cancelled
    }
}

impl From<String> for Fail {
    fn from(m: String) -> Self {
        Fail::Invalid(m)
    }
}

type PlanFn = fn(&[f64], &[PView], usize) -> Plan;
type PartFn = fn(&[f64], Vec<RawView>, &Ctx<'_>) -> Result<f64, Fail>;

/// One kernel of the process pool.
#[derive(Debug)]
pub(super) struct ProcKernel {
    pub(super) name: &'static str,
    /// The ThreadPool kernel whose `prepare` checks the task's arguments (None: internal).
    pub(super) checked_as: Option<&'static str>,
    /// Indices of the views the kernel writes: they must be in SharedMemory.
    pub(super) outputs: &'static [usize],
    pub(super) plan: PlanFn,
    pub(super) part: PartFn,
}

/// Every kernel by name; the index is the kernel id. Names starting with `__` are internal.
pub(super) const TABLE: &[ProcKernel] = &[
    ProcKernel {
        name: "noop",
        checked_as: Some("noop"),
        outputs: &[],
        plan: |_, _, _| single(vec![]),
        part: |_, _, _| Ok(0.0),
    },
    ProcKernel {
        name: "spin",
        checked_as: Some("spin"),
        outputs: &[],
        plan: |p, _, _| single(p.to_vec()),
        part: |p, v, ctx| run_job("spin", p, v, ctx),
    },
    ProcKernel {
        name: "mandelbrot",
        checked_as: Some("mandelbrot"),
        outputs: &[0],
        plan: plan_mandelbrot,
        part: part_mandelbrot,
    },
    ProcKernel {
        name: "sha256",
        checked_as: Some("sha256"),
        outputs: &[1],
        plan: plan_sha256,
        part: |p, v, ctx| run_job("sha256", p, v, ctx),
    },
    ProcKernel {
        name: "blur",
        checked_as: Some("blur"),
        outputs: &[1],
        plan: plan_blur,
        part: part_blur,
    },
    ProcKernel {
        name: "sort",
        checked_as: Some("sort"),
        outputs: &[0],
        plan: plan_sort,
        part: |p, v, ctx| run_job("sort", p, v, ctx),
    },
    ProcKernel {
        name: "primes",
        checked_as: Some("primes"),
        outputs: &[],
        plan: plan_primes,
        part: part_primes,
    },
    // Internal kernels for the tests: ways for a child to die.
    ProcKernel {
        name: "__panic",
        checked_as: None,
        outputs: &[],
        plan: |_, _, _| single(vec![]),
        part: |_, _, _| panic!("__panic kernel: deliberate panic in a child process"),
    },
    ProcKernel {
        name: "__abort",
        checked_as: None,
        outputs: &[],
        plan: |_, _, _| single(vec![]),
        part: |_, _, _| std::process::abort(),
    },
    ProcKernel {
        name: "__segfault",
        checked_as: None,
        outputs: &[],
        plan: |_, _, _| single(vec![]),
        part: |_, _, _| super::child::segfault(),
    },
    ProcKernel {
        name: "__exit",
        checked_as: None,
        outputs: &[],
        plan: |p, _, _| single(p.to_vec()),
        part: |p, _, _| super::child::exit_now(p.first().copied().unwrap_or(0.0) as i32),
    },
];

/// The kernel with this name.
#[cfg(test)]
fn find(name: &str) -> Option<usize> {
    TABLE.iter().position(|k| k.name == name)
}

fn single(params: Vec<f64>) -> Plan {
    Plan {
        parts: vec![(params, vec![])],
        finish: Finish::Nothing,
    }
}

/// `[0, total)` cut into at most `n` contiguous, nearly equal, non-empty ranges.
fn ranges(total: usize, n: usize) -> Vec<(usize, usize)> {
    let n = n.clamp(1, total.max(1));
    (0..n)
        .map(|i| (total * i / n, total * (i + 1) / n))
        .filter(|(a, b)| b > a)
        .collect()
}

/// Runs a ThreadPool kernel on the part's own (smaller) views, serially.
fn run_job(name: &str, params: &[f64], views: Vec<RawView>, ctx: &Ctx<'_>) -> Result<f64, Fail> {
    let index = kernels::REGISTRY
        .iter()
        .position(|(n, _)| *n == name)
        .ok_or_else(|| format!("no kernel {name}"))?;
    let mut job = kernels::prepare(index, params, views)?;
    Ok(job.run(ctx)?)
}

fn mandelbrot_params(p: &[f64]) -> Result<MandelbrotParams, String> {
    let params = Params::new("mandelbrot", p);
    Ok(MandelbrotParams {
        width: params.usize(0, "width", 1 << 16)?,
        height: params.usize(1, "height", 1 << 16)?,
        max_iterations: params.usize(2, "maxIterations", u32::MAX as usize)? as u32,
        x_min: params.f64(3, "xMin")?,
        x_max: params.f64(4, "xMax")?,
        y_min: params.f64(5, "yMin")?,
        y_max: params.f64(6, "yMax")?,
    })
}

/// Row bands of the image: part params are the kernel's plus the band's first row.
fn plan_mandelbrot(p: &[f64], views: &[PView], n: usize) -> Plan {
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

fn part_mandelbrot(p: &[f64], views: Vec<RawView>, ctx: &Ctx<'_>) -> Result<f64, Fail> {
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
    Ok(0.0)
}

/// Ranges of chunks: each part hashes whole chunks into its slice of `out`.
fn plan_sha256(p: &[f64], views: &[PView], n: usize) -> Plan {
    let chunk = p[0] as usize;
    let (data, out) = (&views[0], &views[1]);
    let chunks = data.len.div_ceil(chunk);
    let parts = ranges(chunks, n)
        .into_iter()
        .map(|(c0, c1)| {
            let end = data.len.min(c1 * chunk);
            (
                p.to_vec(),
                vec![data.sub(c0 * chunk, end), out.sub(c0 * 32, c1 * 32)],
            )
        })
        .collect();
    Plan {
        parts,
        finish: Finish::Nothing,
    }
}

/// Row bands, each with `radius` halo rows of input on either side (clamped to the image):
/// part params are `[width, radius, first]` where `first` is the band's first output row
/// within its input rows.
fn plan_blur(p: &[f64], views: &[PView], n: usize) -> Plan {
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

fn part_blur(p: &[f64], views: Vec<RawView>, ctx: &Ctx<'_>) -> Result<f64, Fail> {
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
    Ok(0.0)
}

/// Children sort one range each; the parent merges the sorted ranges.
fn plan_sort(_p: &[f64], views: &[PView], n: usize) -> Plan {
    let data = &views[0];
    let parts: Vec<_> = ranges(data.len, n)
        .into_iter()
        .map(|(a, b)| (vec![], vec![data.sub(a, b)]))
        .collect();
    let starts = ranges(data.len, n).into_iter().map(|(a, _)| a).collect();
    Plan {
        parts,
        finish: Finish::Merge {
            data: data.clone(),
            starts,
        },
    }
}

/// Ranges of numbers below the limit; the parent sums the counts.
fn plan_primes(p: &[f64], _views: &[PView], n: usize) -> Plan {
    let limit = p[0] as usize;
    // Below ~a million a single part is faster than splitting (each part sieves its own base
    // primes and costs a round trip).
    let n = if limit < 1 << 20 { 1 } else { n };
    let parts = ranges(limit, n)
        .into_iter()
        .map(|(lo, hi)| (vec![lo as f64, hi as f64], vec![]))
        .collect();
    Plan {
        parts,
        finish: Finish::Sum,
    }
}

fn part_primes(p: &[f64], _views: Vec<RawView>, ctx: &Ctx<'_>) -> Result<f64, Fail> {
    let params = Params::new("primes", p);
    let lo = params.usize(0, "lo", 1 << 36)? as u64;
    let hi = params.usize(1, "hi", 1 << 36)? as u64;
    Ok(count_primes_between(lo, hi, ctx)? as f64)
}

/// Sorts one part in the child (used by tests to check the serial sort directly).
#[cfg(test)]
fn sort_part(data: &mut [f64], ctx: &Ctx<'_>) -> Result<(), Cancelled> {
    kernels::sort_like_js(data, ctx)
}

#[cfg(test)]
mod test {
    use std::sync::atomic::AtomicBool;

    use super::*;

    fn view_of<T: kernels::Elem>(data: &mut [T]) -> PView {
        let raw = RawView::from_slice(data);
        PView {
            addr: raw.addr(),
            len: raw.len(),
            kind: raw.kind(),
            segment: None,
        }
    }

    fn raw(v: &PView) -> RawView {
        RawView::from_raw(v.addr as *mut u8, v.len, v.kind)
    }

    fn run_plan(kernel: &str, params: &[f64], views: &[PView], n: usize) -> f64 {
        let k = &TABLE[find(kernel).unwrap()];
        let plan = (k.plan)(params, views, n);
        assert!(plan.parts.len() <= n.max(1));
        let flag = AtomicBool::new(false);
        let ctx = Ctx::serial(&flag);
        let mut sum = 0.0;
        for (p, v) in &plan.parts {
            sum += (k.part)(p, v.iter().map(raw).collect(), &ctx).unwrap();
        }
        if let Finish::Merge { data, starts } = &plan.finish {
            let slice = raw(data).typed::<f64>("data").unwrap();
            // SAFETY (test): the data is a live Vec of this test, used by nobody else now.
            kernels::merge_sorted_runs(unsafe { slice.as_mut() }, starts, &ctx).unwrap();
        }
        sum
    }

    #[test]
    fn split_runs_match_whole_runs() {
        let flag = AtomicBool::new(false);
        let ctx = Ctx::new(&flag);
        for n in [1, 2, 3, 7] {
            // mandelbrot
            let p = [37.0, 23.0, 100.0, -2.0, 0.5, -1.25, 1.25];
            let mut whole = vec![0u32; 37 * 23];
            let params = mandelbrot_params(&p).unwrap();
            kernels::mandelbrot(&params, &mut whole, &ctx).unwrap();
            let mut split = vec![0u32; 37 * 23];
            run_plan("mandelbrot", &p, &[view_of(&mut split)], n);
            assert_eq!(split, whole, "mandelbrot, {n} parts");

            // blur
            let (w, h, r) = (19usize, 13usize, 4usize);
            let pixels: Vec<u8> = (0..w * h * 4).map(|i| (i * 37 % 251) as u8).collect();
            let mut want = vec![0u8; pixels.len()];
            kernels::blur(&pixels, w, h, r, &mut want, &ctx).unwrap();
            let mut input = pixels.clone();
            let mut out = vec![0u8; pixels.len()];
            let views = [view_of(&mut input), view_of(&mut out)];
            run_plan("blur", &[w as f64, h as f64, r as f64], &views, n);
            assert_eq!(out, want, "blur, {n} parts");

            // sha256
            let mut data: Vec<u8> = (0..1000).map(|i| i as u8).collect();
            let mut want = vec![0u8; 32 * 8];
            kernels::sha256_chunks(&data, 128, &mut want, &ctx).unwrap();
            let mut out = vec![0u8; 32 * 8];
            let views = [view_of(&mut data), view_of(&mut out)];
            run_plan("sha256", &[128.0], &views, n);
            assert_eq!(out, want, "sha256, {n} parts");

            // sort
            let values: Vec<f64> = (0..5000)
                .map(|i| ((i * 7919) % 5003) as f64 - 2500.0)
                .collect();
            let mut want = values.clone();
            sort_part(&mut want, &ctx).unwrap();
            let mut data = values.clone();
            run_plan("sort", &[], &[view_of(&mut data)], n);
            assert_eq!(data, want, "sort, {n} parts");

            // primes
            for limit in [0.0, 10.0, 2_000_003.0] {
                let want = kernels::count_primes(limit as u64, &ctx).unwrap() as f64;
                assert_eq!(
                    run_plan("primes", &[limit], &[], n),
                    want,
                    "primes {limit}, {n}"
                );
            }
        }
    }

    #[test]
    fn ranges_cover_everything_once() {
        assert_eq!(ranges(0, 3), vec![]);
        assert_eq!(ranges(2, 3), vec![(0, 1), (1, 2)]);
        assert_eq!(ranges(10, 3), vec![(0, 3), (3, 6), (6, 10)]);
        assert_eq!(ranges(5, 0), vec![(0, 5)]);
    }

    #[test]
    fn bad_parts_are_refused_not_run() {
        let flag = AtomicBool::new(false);
        let ctx = Ctx::serial(&flag);
        let mut short = vec![0u32; 10];
        let k = &TABLE[find("mandelbrot").unwrap()];
        let p = [4.0, 4.0, 10.0, -2.0, 0.5, -1.25, 1.25, 3.0];
        let err = (k.part)(&p, vec![RawView::from_slice(&mut short)], &ctx);
        assert!(matches!(err, Err(Fail::Invalid(_))));
        let k = &TABLE[find("blur").unwrap()];
        let mut px = vec![0u8; 16];
        let mut out = vec![0u8; 32];
        let err = (k.part)(
            &[1.0, 1.0, 0.0],
            vec![RawView::from_slice(&mut px), RawView::from_slice(&mut out)],
            &ctx,
        );
        assert!(matches!(err, Err(Fail::Invalid(_))));
    }
}
