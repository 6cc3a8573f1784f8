//! Unit tests of the matmul kernel: agreement with a naive loop, thread-count
//! independence, edge shapes and cancellation.
use std::sync::atomic::AtomicBool;

use super::scratch::SCRATCH;
use super::*;

/// The JS reference: `sum = 0; for p in 0..k { sum += a[i*k+p] * b[p*m+j] }`.
fn naive(a: &[f64], b: &[f64], n: usize, k: usize, m: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * m];
    for i in 0..n {
        for j in 0..m {
            let mut sum = 0.0;
            for p in 0..k {
                sum += a[i * k + p] * b[p * m + j];
            }
            out[i * m + j] = sum;
        }
    }
    out
}

/// Deterministic pseudo-random values in [-1, 1).
fn values(len: usize, seed: u64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect()
}

/// `matmul` as the job runs it (kernel detected, threads from the current pool).
fn run(a: &[f64], b: &[f64], n: usize, k: usize, m: usize) -> Vec<f64> {
    let flag = AtomicBool::new(false);
    let mut out = vec![f64::NAN; n * m];
    matmul(a, b, n, k, m, &mut out, &Ctx::new(&flag)).unwrap();
    out
}

/// The blocked product with a chosen kernel and thread count (which sets the task grid;
/// the tasks run on the current rayon pool).
fn run_with(
    kernel: Kernel,
    threads: usize,
    (a, b): (&[f64], &[f64]),
    (n, k, m): (usize, usize, usize),
) -> Vec<f64> {
    let flag = AtomicBool::new(false);
    let mut out = vec![f64::NAN; n * m];
    let gemm = Gemm::new(a, b, n, k, m, kernel, threads);
    gemm.run(&mut out, &Ctx::new(&flag)).unwrap();
    out
}

fn kernels() -> Vec<Kernel> {
    let mut kernels = vec![Kernel::Portable];
    if Kernel::detect() != Kernel::Portable {
        kernels.push(Kernel::detect());
    }
    kernels
}

/// Within the rounding error a length-`k` dot product may have:
/// `|got - want| <= 1e-12 * k * max|a| * max|b|`.
fn assert_close(got: &[f64], want: &[f64], k: usize, scale: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    let tolerance = 1e-12 * k.max(1) as f64 * scale;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tolerance,
            "{what}: element {i}: {g} vs {w} (tolerance {tolerance:e})"
        );
    }
}

fn max_abs(values: &[f64]) -> f64 {
    values.iter().fold(0.0, |acc: f64, v| acc.max(v.abs()))
}

fn assert_bits_eq(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.to_bits(), w.to_bits(), "{what}: element {i}: {g} vs {w}");
    }
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

#[test]
fn small_hand_checked() {
    // [1 2 3; 4 5 6] · [7 8; 9 10; 11 12] = [58 64; 139 154]; small integers are exact
    // with or without fused multiply-adds.
    let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let b = [7.0, 8.0, 9.0, 10.0, 11.0, 12.0];
    assert_eq!(run(&a, &b, 2, 3, 2), vec![58.0, 64.0, 139.0, 154.0]);
    assert_eq!(run(&[3.0], &[-2.5], 1, 1, 1), vec![-7.5]);
    for kernel in kernels() {
        let got = run_with(kernel, 1, (&a, &b), (2, 3, 2));
        assert_eq!(got, vec![58.0, 64.0, 139.0, 154.0], "{kernel:?}");
    }
}

#[test]
fn empty_dimensions() {
    assert!(run(&[], &[], 0, 0, 0).is_empty());
    assert!(run(&[], &[1.0, 2.0], 0, 1, 2).is_empty());
    assert!(run(&[1.0, 2.0], &[], 2, 1, 0).is_empty());
    // k = 0: every output element is an empty sum, so 0 (out starts as NaN in `run`).
    assert_eq!(run(&[], &[], 2, 0, 3), vec![0.0; 6]);
    assert_eq!(
        run_with(Kernel::Portable, 3, (&[], &[]), (300, 0, 1)),
        vec![0.0; 300]
    );
}

/// Shapes around the block sizes: primes, 1, exact multiples of MR/NR/KC and one off.
const SHAPES: &[(usize, usize, usize)] = &[
    (1, 1, 1),
    (1, 1, 7),
    (3, 5, 7),
    (13, 1, 1),
    (1, 300, 1),
    (1, 1000, 1),
    (2, 1, 300),
    (300, 1, 301),
    (4, 8, 8),
    (5, 9, 17),
    (MR, KC, NR),
    (MR + 1, KC + 1, NR + 1),
    (MR - 1, KC - 1, NR - 1),
    (37, 131, 263),
    (65, 257, 3),
    (97, 513, 31),
    (MC + 3, 2 * KC + 1, 2 * NR + 3),
    (191, 11, 199),
];

#[test]
fn matches_naive_on_many_shapes() {
    for &(n, k, m) in SHAPES {
        let a = values(n * k, 1);
        let b = values(k * m, 2);
        let want = naive(&a, &b, n, k, m);
        let scale = max_abs(&a) * max_abs(&b);
        assert_close(
            &run(&a, &b, n, k, m),
            &want,
            k,
            scale,
            &format!("{n}x{k}x{m}"),
        );
        for kernel in kernels() {
            let got = run_with(kernel, 1, (&a, &b), (n, k, m));
            let what = format!("{n}x{k}x{m} {kernel:?}");
            assert_close(&got, &want, k, scale, &what);
        }
    }
}

#[test]
fn large_magnitudes_within_tolerance() {
    let (n, k, m) = (23, 301, 29);
    let a: Vec<f64> = values(n * k, 7).iter().map(|x| x * 1e6).collect();
    let b: Vec<f64> = values(k * m, 8).iter().map(|x| x * 1e-3).collect();
    let scale = max_abs(&a) * max_abs(&b);
    assert_close(
        &run(&a, &b, n, k, m),
        &naive(&a, &b, n, k, m),
        k,
        scale,
        "scaled",
    );
}

#[test]
fn every_task_grid_gives_the_same_result() {
    // The thread count only changes how `out` is cut into tasks; the inner dimension is
    // blocked the same way, so the results are identical, also for blocks larger than
    // MC rows or NC columns and for tasks narrower than a tile.
    for &(n, k, m) in &[
        (9, 3 * KC + 5, 3 * NR + 1),
        (33, 70, 45),
        (2, 5 * KC, 1),
        (2 * MC + 5, 20, NC + 9),
        (MAX_TASK_ROWS + 1, 3, 2 * NC + 1),
    ] {
        let a = values(n * k, 9);
        let b = values(k * m, 10);
        let want = naive(&a, &b, n, k, m);
        let scale = max_abs(&a) * max_abs(&b);
        let serial = run_with(Kernel::detect(), 1, (&a, &b), (n, k, m));
        assert_close(&serial, &want, k, scale, &format!("{n}x{k}x{m}"));
        for threads in [2, 3, 5, 8, 64] {
            let got = run_with(Kernel::detect(), threads, (&a, &b), (n, k, m));
            assert_bits_eq(&got, &serial, &format!("{n}x{k}x{m}, grid for {threads}"));
        }
    }
}

#[test]
fn task_shapes() {
    let empty: [f64; 0] = [];
    for (n, m) in [
        (1, 1),
        (1, 5000),
        (5000, 1),
        (64, 64),
        (192, 192),
        (384, 384),
        (1000, 7),
    ] {
        for threads in [1, 2, 3, 4, 16] {
            let gemm = Gemm::new(&empty, &empty, n, 0, m, Kernel::Portable, threads);
            let (rows, cols) = gemm.task_shape();
            let what = format!("{n}x{m}, {threads} threads: {rows}x{cols}");
            assert!(rows.is_multiple_of(MR) && cols.is_multiple_of(NR), "{what}");
            assert!(rows <= MAX_TASK_ROWS.max(MR) && cols <= NC, "{what}");
            let tasks = n.div_ceil(rows) * m.div_ceil(cols);
            let tiles = n.div_ceil(MR) * m.div_ceil(NR);
            if threads > 1 {
                assert!(tasks >= (threads * TASKS_PER_THREAD).min(tiles), "{what}");
            }
        }
    }
    for (n, m) in [
        (64, 64),
        (192, 192),
        (384, 384),
        (512, 512),
        (1000, 1000),
        (3, 4000),
    ] {
        let gemm = Gemm::new(&[], &[], n, 0, m, Kernel::Portable, 2);
        println!("{n}x{m}: {:?}", gemm.task_shape());
    }
    // Both threads get work from as few as 64 rows, and even from a single row.
    let gemm = Gemm::new(&[], &[], 64, 64, 64, Kernel::Portable, 2);
    let (rows, cols) = gemm.task_shape();
    assert!(64usize.div_ceil(rows) * 64usize.div_ceil(cols) >= 2);
    let gemm = Gemm::new(&[], &[], 1, 64, 4096, Kernel::Portable, 2);
    assert!(4096usize.div_ceil(gemm.task_shape().1) >= 2);
}

#[test]
fn parallel_matches_serial() {
    // Includes few-row products, which are also split over columns.
    for (n, k, m) in [
        (67, 139, 301),
        (1, 700, 900),
        (5, 300, 700),
        (130, 40, 9),
        (64, 64, 64),
    ] {
        let a = values(n * k, 3);
        let b = values(k * m, 4);
        let want = naive(&a, &b, n, k, m);
        let scale = max_abs(&a) * max_abs(&b);
        for kernel in kernels() {
            let serial = run_with(kernel, 1, (&a, &b), (n, k, m));
            for threads in [2, 3] {
                let what = format!("{n}x{k}x{m} {kernel:?} {threads} threads");
                let got = pool(threads).install(|| {
                    let threads = rayon::current_num_threads();
                    run_with(kernel, threads, (&a, &b), (n, k, m))
                });
                assert_bits_eq(&got, &serial, &what);
                assert_close(&got, &want, k, scale, &what);
            }
        }
        for threads in [1, 2, 3] {
            let got = pool(threads).install(|| run(&a, &b, n, k, m));
            let what = format!("{n}x{k}x{m} matmul, {threads} threads");
            assert_close(&got, &want, k, scale, &what);
        }
    }
}

#[test]
fn a_and_b_may_alias() {
    let a = values(9, 5);
    let want = naive(&a, &a, 3, 3, 3);
    assert_close(&run(&a, &a, 3, 3, 3), &want, 3, 1.0, "a · a");
    let a = values(100 * 100, 6);
    let want = naive(&a, &a, 100, 100, 100);
    let got = pool(2).install(|| run(&a, &a, 100, 100, 100));
    assert_close(&got, &want, 100, 1.0, "a · a, 100 x 100");
}

/// Bytes the current thread's packing cache holds.
fn cached_bytes() -> usize {
    SCRATCH.with(|cache| {
        let scratch = cache.take();
        let bytes = scratch.a.capacity() * size_of::<[f64; MR]>()
            + scratch.b.capacity() * size_of::<BRow>();
        cache.set(scratch);
        bytes
    })
}

#[test]
fn serial_context_never_touches_the_thread_cache() {
    // `Ctx::serial` is what a forked process-pool child runs with: it must not touch the
    // thread-local cache (whose first use registers a destructor, see docs/fork.md). Run on a
    // fresh thread, whose cache starts empty.
    std::thread::spawn(|| {
        let flag = AtomicBool::new(false);
        let (n, k, m) = (37, 300, 45);
        let (a, b) = (values(n * k, 7), values(k * m, 8));
        let mut out = vec![f64::NAN; n * m];
        matmul(&a, &b, n, k, m, &mut out, &Ctx::serial(&flag)).unwrap();
        let scale = max_abs(&a) * max_abs(&b);
        assert_close(&out, &naive(&a, &b, n, k, m), k, scale, "serial context");
        assert_eq!(
            cached_bytes(),
            0,
            "the serial context used the thread cache"
        );
        // The cached path, on the same thread: same bits (the buffers only hold packed
        // copies), and now the cache is used.
        let mut cached = vec![f64::NAN; n * m];
        Gemm::new(&a, &b, n, k, m, Kernel::detect(), 1)
            .run(&mut cached, &Ctx::new(&flag))
            .unwrap();
        assert_bits_eq(&cached, &out, "cached vs own buffers");
        assert!(cached_bytes() > 0);
    })
    .join()
    .unwrap();
}

#[test]
fn non_finite_values_propagate_like_the_reference() {
    let a = [0.0, 1.0, f64::INFINITY, 2.0];
    let b = [f64::INFINITY, 1.0, 3.0, f64::NAN];
    let want = naive(&a, &b, 2, 2, 2);
    for kernel in kernels() {
        let got = run_with(kernel, 1, (&a, &b), (2, 2, 2));
        for (g, w) in got.iter().zip(&want) {
            assert!(g == w || (g.is_nan() && w.is_nan()), "{got:?} vs {want:?}");
        }
    }
}

#[test]
fn cancelled_before_start() {
    let flag = AtomicBool::new(true);
    let mut out = vec![0.0; 4];
    let a = [1.0; 4];
    assert_eq!(
        matmul(&a, &a, 2, 2, 2, &mut out, &Ctx::new(&flag)),
        Err(Cancelled)
    );
}

#[test]
fn cancelled_mid_run() {
    // 1500^3 multiply-adds take far longer than the 10 ms before the flag is set, even at
    // the full speed of two cores.
    let n = 1500;
    let a = values(n * n, 6);
    let mut out = vec![0.0; n * n];
    for threads in [1, 2] {
        let flag = AtomicBool::new(false);
        let result = pool(threads).install(|| {
            std::thread::scope(|s| {
                s.spawn(|| {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    flag.store(true, std::sync::atomic::Ordering::Relaxed);
                });
                matmul(&a, &a, n, n, n, &mut out, &Ctx::new(&flag))
            })
        });
        assert_eq!(result, Err(Cancelled), "{threads} threads");
    }
}
#[test]
fn prepare_rejects_bad_input() {
    let mut a = vec![0.0f64; 6];
    let mut b = vec![0.0f64; 6];
    let mut out = vec![0.0f64; 4];
    let views = |a: &mut [f64], b: &mut [f64], out: &mut [f64]| {
        vec![
            RawView::from_slice(a),
            RawView::from_slice(b),
            RawView::from_slice(out),
        ]
    };
    let p = |v: &'static [f64]| Params::new("matmul", v);
    assert!(prepare(&p(&[2.0, 3.0, 2.0]), views(&mut a, &mut b, &mut out)).is_ok());
    let err = |r: Result<Box<dyn Job>, String>| r.err().unwrap();
    assert!(err(prepare(
        &p(&[2.0, 3.0, 3.0]),
        views(&mut a, &mut b, &mut out)
    ))
    .contains("b must"));
    assert!(err(prepare(
        &p(&[2.0, 2.5, 2.0]),
        views(&mut a, &mut b, &mut out)
    ))
    .contains('k'));
    assert!(err(prepare(
        &p(&[1e300, 3.0, 2.0]),
        views(&mut a, &mut b, &mut out)
    ))
    .contains('n'));
    let aliased = vec![
        RawView::from_slice(&mut a),
        RawView::from_slice(&mut b),
        RawView::from_slice(&mut a[..4]),
    ];
    assert!(err(prepare(&p(&[2.0, 3.0, 2.0]), aliased)).contains("overlap"));
    let mut bytes = vec![0u8; 4];
    let wrong_kind = vec![
        RawView::from_slice(&mut a),
        RawView::from_slice(&mut b),
        RawView::from_slice(&mut bytes),
    ];
    assert!(prepare(&p(&[2.0, 3.0, 2.0]), wrong_kind).is_err());
}

#[test]
fn huge_dimensions_are_rejected() {
    let empty = || RawView::from_slice::<f64>(&mut []);
    let views = || vec![empty(), empty(), empty()];
    // Over the cap.
    let over = [(MAX_DIM + 1) as f64, 0.0, 1.0];
    let p = Params::new("matmul", &over);
    assert!(prepare(&p, views()).err().unwrap().contains("n must"));
    // At the cap: sizes fit in usize, but the views are far too short.
    let at = [MAX_DIM as f64; 3];
    let p = Params::new("matmul", &at);
    assert!(prepare(&p, views()).err().unwrap().contains("a must"));
}
