'use strict';

/**
 * The compute workloads at three sizes: deterministic inputs in SharedArrayBuffers, a fresh
 * output per engine, and a check that compares an engine's result with the reference's.
 * @module native-parallel/lib/compare/workloads
 */

const sab = (Ctor, n) => new Ctor(new SharedArrayBuffer(n * Ctor.BYTES_PER_ELEMENT));

function fill(view, seed, scale) {
  let s = seed >>> 0;
  for (let i = 0; i < view.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    view[i] = scale === undefined ? s & 0xff : (s / 2 ** 32 - 0.5) * scale;
  }
  return view;
}

/**
 * Each workload: `make()` returns a fresh input (shared memory), `reset(input)` restores any
 * input a kernel changes in place, `check(result, expected)` compares with the reference.
 * @param {'small' | 'medium' | 'large'} size
 */
function workloads(size = 'medium') {
  const scale = { small: 0.25, medium: 1, large: 4 }[size];
  const side = (n) => Math.max(8, Math.round(n * Math.sqrt(scale)));
  const count = (n) => Math.max(64, Math.round(n * scale));
  const equal = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  const close = (a, b) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= 1e-9 * Math.max(1, Math.abs(b[i])));

  const mw = side(640);
  const mh = side(480);
  const bw = side(800);
  const bh = side(600);
  const mm = Math.round(side(192));
  const pixels = fill(sab(Uint8Array, bw * bh * 4), 7);
  const bytes = fill(sab(Uint8Array, count(16 << 20)), 11);
  const shaBytes = fill(sab(Uint8Array, count(4 << 20)), 13);
  const a = fill(sab(Float64Array, mm * mm), 17, 2);
  const b = fill(sab(Float64Array, mm * mm), 19, 2);
  const unsorted = fill(new Float64Array(count(1 << 20)), 23, 1e6);

  return {
    mandelbrot: {
      describe: `${mw}x${mh}, 256 iterations`,
      make: () => ({ width: mw, height: mh, maxIterations: 256, out: sab(Uint32Array, mw * mh) }),
      check: equal,
    },
    matmul: {
      describe: `${mm}x${mm} · ${mm}x${mm}`,
      make: () => ({ a, b, n: mm, k: mm, m: mm, out: sab(Float64Array, mm * mm) }),
      check: close,
    },
    sha256: {
      describe: `${(shaBytes.length / 2 ** 20).toFixed(1)} MiB in 64 KiB chunks`,
      make: () => ({ data: shaBytes, chunkSize: 65536, out: sab(Uint8Array, 32 * Math.ceil(shaBytes.length / 65536)) }),
      check: equal,
    },
    blur: {
      describe: `${bw}x${bh} RGBA, radius 8`,
      make: () => ({ pixels, width: bw, height: bh, radius: 8, out: sab(Uint8Array, pixels.length) }),
      check: equal,
    },
    histogram: {
      describe: `${(bytes.length / 2 ** 20).toFixed(1)} MiB`,
      make: () => ({ data: bytes, out: sab(Uint32Array, 256) }),
      check: equal,
    },
    sort: {
      describe: `${unsorted.length} doubles`,
      make: () => {
        const data = sab(Float64Array, unsorted.length);
        data.set(unsorted);
        return { data };
      },
      reset: (input) => input.data.set(unsorted),
      check: equal,
    },
    primes: {
      describe: `below ${count(5e6)}`,
      make: () => ({ limit: count(5e6) }),
      check: (r, e) => r.count === e.count,
    },
  };
}

module.exports = { workloads, sab };
