//! Unit tests of the kernel table: split runs match whole runs, plans, and the parent's
//! last steps.

use std::sync::atomic::AtomicBool;

use super::bands::mandelbrot_params;
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
    // SAFETY: every PView here comes from `view_of` over a test's own array, which the test
    // keeps alive and leaves alone until its plan has run (view contract, 1-3); the plans
    // keep outputs apart from inputs (4).
    unsafe { RawView::from_raw(v.addr as *mut u8, v.len, v.kind) }
}

fn run_plan(kernel: &str, params: &[f64], views: &[PView], n: usize) -> f64 {
    let k = find(kernel).unwrap();
    let mut plan = (k.plan)(params, views, n);
    assert!(plan.parts.len() <= n.max(1));
    let flag = AtomicBool::new(false);
    let ctx = Ctx::serial(&flag);
    let mut sum = 0.0;
    for (p, v) in &plan.parts {
        let reply = k.part(p, v.iter().map(raw).collect(), &ctx).unwrap();
        plan.finish.add(&reply, &mut sum).unwrap();
    }
    plan.finish.run();
    sum
}

/// Sorts one part in the child (used by tests to check the serial sort directly).
fn sort_part(data: &mut [f64], ctx: &Ctx<'_>) -> Result<(), Cancelled> {
    kernels::sort_like_js(data, ctx)
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

        // matmul: bit for bit the whole product's (the ThreadPool kernel on several threads)
        for (rows, k, m) in [
            (1, 1, 1),
            (3, 300, 400),
            (7, 5, 3),
            (130, 70, 90),
            (2, 0, 3),
        ] {
            let a: Vec<f64> = (0..rows * k)
                .map(|i| ((i * 31 % 97) as f64 - 48.0) / 7.0)
                .collect();
            let b: Vec<f64> = (0..k * m)
                .map(|i| ((i * 17 % 89) as f64 - 44.0) / 3.0)
                .collect();
            let mut want = vec![f64::NAN; rows * m];
            kernels::matmul(&a, &b, rows, k, m, &mut want, &ctx).unwrap();
            let (mut a, mut b) = (a, b);
            let mut out = vec![f64::NAN; rows * m];
            let views = [view_of(&mut a), view_of(&mut b), view_of(&mut out)];
            run_plan("matmul", &[rows as f64, k as f64, m as f64], &views, n);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&out), bits(&want), "matmul {rows}x{k}x{m}, {n} parts");
        }

        // histogram: `out` is overwritten with the totals
        for len in [0usize, 1, 1000, (256 << 10) + 12_345] {
            let mut data: Vec<u8> = (0..len).map(|i| (i * i % 251) as u8).collect();
            let mut want = vec![0u32; 256];
            kernels::histogram(&data, &mut want, &ctx).unwrap();
            let mut out = vec![7u32; 256];
            run_plan(
                "histogram",
                &[],
                &[view_of(&mut data), view_of(&mut out)],
                n,
            );
            assert_eq!(out, want, "histogram of {len} bytes, {n} parts");
        }

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
    let k = find("mandelbrot").unwrap();
    let p = [4.0, 4.0, 10.0, -2.0, 0.5, -1.25, 1.25, 3.0];
    let err = k.part(&p, vec![RawView::from_slice(&mut short)], &ctx);
    assert!(matches!(err, Err(Fail::Invalid(_))));
    let k = find("blur").unwrap();
    let mut px = vec![0u8; 16];
    let mut out = vec![0u8; 32];
    let err = k.part(
        &[1.0, 1.0, 0.0],
        vec![RawView::from_slice(&mut px), RawView::from_slice(&mut out)],
        &ctx,
    );
    assert!(matches!(err, Err(Fail::Invalid(_))));
}

#[test]
fn small_products_and_little_data_are_one_part() {
    let mut a = vec![1.0; 64 * 64];
    let mut b = vec![1.0; 64 * 64];
    let mut out = vec![0.0; 64 * 64];
    let k = find("matmul").unwrap();
    let views = [view_of(&mut a), view_of(&mut b), view_of(&mut out)];
    assert_eq!((k.plan)(&[63.0, 64.0, 64.0], &views, 4).parts.len(), 1);
    // More processes than rows: one band per row.
    let views = [view_of(&mut a), view_of(&mut b), view_of(&mut out)];
    assert_eq!((k.plan)(&[3.0, 1024.0, 100.0], &views, 8).parts.len(), 3);
    // No rows or no columns: nothing to compute.
    assert!((k.plan)(&[0.0, 5.0, 5.0], &views, 2).parts.is_empty());
    assert!((k.plan)(&[5.0, 5.0, 0.0], &views, 2).parts.is_empty());

    let k = find("histogram").unwrap();
    let mut data = vec![0u8; (256 << 10) + 1];
    let mut out = vec![0u32; 256];
    let views = [view_of(&mut data), view_of(&mut out)];
    assert_eq!((k.plan)(&[], &views, 3).parts.len(), 3);
    let views = [view_of(&mut data[..1000]), view_of(&mut out)];
    assert_eq!((k.plan)(&[], &views, 3).parts.len(), 1);
    let views = [view_of(&mut data[..0]), view_of(&mut out)];
    assert!((k.plan)(&[], &views, 3).parts.is_empty());
}

#[test]
fn counts_add_up_modulo_2_32_and_must_fit_the_task() {
    let mut out = vec![0u32; 256];
    let mut finish = Finish::Counts {
        out: view_of(&mut out),
        totals: Box::new([0; COUNTS]),
    };
    let mut sum = 0.0;
    let mut big = [0u32; COUNTS];
    big[3] = u32::MAX;
    big[4] = 5;
    finish.add(&Reply::Counts(big), &mut sum).unwrap();
    let mut two = [0u32; COUNTS];
    two[3] = 2;
    finish.add(&Reply::Counts(two), &mut sum).unwrap();
    assert!(finish.add(&Reply::Value(1.0), &mut sum).is_err());
    finish.run();
    // u32::MAX + 2 wraps to 1, as a Uint32Array counter would.
    assert_eq!((out[3], out[4], out[0]), (1, 5, 0));
    assert_eq!(sum, 0.0);

    let mut finish = Finish::Sum;
    finish.add(&Reply::Value(2.5), &mut sum).unwrap();
    assert!(finish.add(&Reply::Counts(two), &mut sum).is_err());
    assert_eq!(sum, 2.5);
}
