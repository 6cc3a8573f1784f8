'use strict';

const crypto = require('node:crypto');
const ref = require('../lib/reference');

/** Small seeded PRNG (mulberry32): returns floats in [0, 1). */
function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const randomBytes = (rand, n) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));

describe('index', () => {
  test('exports every kernel and a frozen kernels list', () => {
    expect(ref.kernels).toEqual(
      ['noop', 'spin', 'mandelbrot', 'matmul', 'sha256', 'blur', 'histogram', 'sort', 'primes']);
    expect(Object.isFrozen(ref.kernels)).toBe(true);
    for (const name of ref.kernels) {
      expect(typeof ref[name]).toBe('function');
      expect(require(`../lib/reference/${name}`)).toBe(ref[name]);
    }
  });
});

test('noop returns undefined', () => expect(ref.noop({})).toBeUndefined());

describe('spin', () => {
  test.each([0, 1, 500, 5000])('busy-waits at least %i µs', (micros) => {
    const t0 = process.hrtime.bigint();
    expect(ref.spin({ micros })).toBeUndefined();
    expect(process.hrtime.bigint() - t0 >= BigInt(micros * 1000)).toBe(true);
  });
});

describe('mandelbrot', () => {
  function oracle(width, height, maxIterations, xMin = -2, xMax = 0.5, yMin = -1.25, yMax = 1.25) {
    const out = new Uint32Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const cx = xMin + (x * (xMax - xMin)) / width, cy = yMin + (y * (yMax - yMin)) / height;
        let zr = 0, zi = 0, i = 0;
        for (; i < maxIterations; i++) {
          const zr2 = zr * zr, zi2 = zi * zi;
          if (zr2 + zi2 > 4) break;
          zi = 2 * zr * zi + cy;
          zr = zr2 - zi2 + cx;
        }
        out[y * width + x] = i;
      }
    }
    return out;
  }

  const sizes = [[1, 1], [7, 5], [5, 7], [13, 1], [1, 9], [33, 17], [64, 48]];
  for (const [w, h] of sizes) {
    for (const maxIterations of [0, 1, 200]) {
      test(`${w}x${h} maxIterations=${maxIterations} default region`, () => {
        const out = new Uint32Array(w * h).fill(7); // stale contents must be overwritten
        expect(ref.mandelbrot({ width: w, height: h, maxIterations, out })).toBe(out);
        expect(out).toEqual(oracle(w, h, maxIterations));
      });
    }
  }

  test('custom region', () => {
    const region = { xMin: -0.75, xMax: -0.7, yMin: 0.1, yMax: 0.13 };
    const w = 31, h = 23, maxIterations = 500;
    const out = ref.mandelbrot({ width: w, height: h, maxIterations, ...region, out: new Uint32Array(w * h) });
    expect(out).toEqual(oracle(w, h, maxIterations, region.xMin, region.xMax, region.yMin, region.yMax));
    expect(new Set(out).size).toBeGreaterThan(10); // region is interesting
  });

});

describe('matmul', () => {
  function oracle(a, b, n, k, m) {
    const out = new Float64Array(n * m);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * m + j];
        out[i * m + j] = s;
      }
    }
    return out;
  }

  const rand = mulberry32(42);
  const shapes = [[0, 0, 0], [0, 3, 2], [2, 0, 3], [3, 2, 0], [1, 1, 1], [1, 5, 1], [7, 5, 3], [3, 5, 7], [33, 17, 29]];
  test.each(shapes)('n=%i k=%i m=%i', (n, k, m) => {
    const a = Float64Array.from({ length: n * k }, () => rand() * 2 - 1);
    const b = Float64Array.from({ length: k * m }, () => rand() * 2 - 1);
    const out = new Float64Array(n * m).fill(123); // stale contents must be overwritten
    expect(ref.matmul({ a, b, n, k, m, out })).toBe(out);
    const want = oracle(a, b, n, k, m);
    for (let i = 0; i < want.length; i++) {
      expect(Math.abs(out[i] - want[i])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want[i])));
    }
  });

  test('small integer case is exact', () => {
    const a = new Float64Array([1, 2, 3, 4, 5, 6]); // 2x3
    const b = new Float64Array([7, 8, 9, 10, 11, 12]); // 3x2
    const out = ref.matmul({ a, b, n: 2, k: 3, m: 2, out: new Float64Array(4) });
    expect(Array.from(out)).toEqual([58, 64, 139, 154]);
  });
});

describe('sha256', () => {
  function oracle(data, chunkSize) {
    const chunks = Math.ceil(data.length / chunkSize);
    const out = new Uint8Array(32 * chunks);
    for (let c = 0; c < chunks; c++) {
      const chunk = data.subarray(c * chunkSize, Math.min(data.length, (c + 1) * chunkSize));
      out.set(crypto.createHash('sha256').update(chunk).digest(), 32 * c);
    }
    return out;
  }

  function run(data, chunkSize) {
    const out = new Uint8Array(32 * Math.ceil(data.length / chunkSize));
    expect(ref.sha256({ data, chunkSize, out })).toBe(out);
    return out;
  }

  const rand = mulberry32(7);
  const lengths = [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4097];
  const chunkSizes = [1, 55, 56, 63, 64, 65, 1000, 1 << 20];
  for (const len of lengths) {
    const data = randomBytes(rand, len);
    for (const chunkSize of chunkSizes) {
      test(`length ${len}, chunkSize ${chunkSize}`, () => {
        expect(Buffer.from(run(data, chunkSize))).toEqual(Buffer.from(oracle(data, chunkSize)));
      });
    }
  }

  test('known vector: "abc" as a single chunk', () => {
    const hex = Buffer.from(run(new TextEncoder().encode('abc'), 64)).toString('hex');
    expect(hex).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  test('empty data yields no digests', () => expect(run(new Uint8Array(0), 64).length).toBe(0));

  test('works on a subarray view with a non-zero byteOffset', () => {
    const data = randomBytes(rand, 300).subarray(17, 17 + 200);
    expect(Buffer.from(run(data, 70))).toEqual(Buffer.from(oracle(data, 70)));
  });

  test('1 MiB in 64 KiB chunks', () => {
    const data = randomBytes(rand, 1 << 20);
    expect(Buffer.from(run(data, 65536))).toEqual(Buffer.from(oracle(data, 65536)));
  });
});

describe('blur', () => {
  function oracle(pixels, width, height, radius) {
    const d = 2 * radius + 1;
    const clamp = (v, hi) => (v < 0 ? 0 : v > hi ? hi : v);
    // One naive pass; (dx, dy) is the direction of the window.
    const pass = (src, dx, dy) => {
      const dst = new Uint8Array(src.length);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          for (let c = 0; c < 4; c++) {
            let s = 0;
            for (let i = -radius; i <= radius; i++) {
              s += src[(clamp(y + i * dy, height - 1) * width + clamp(x + i * dx, width - 1)) * 4 + c];
            }
            dst[(y * width + x) * 4 + c] = Math.floor((s + radius) / d);
          }
        }
      }
      return dst;
    };
    return pass(pass(pixels, 1, 0), 0, 1);
  }

  const rand = mulberry32(99);
  const sizes = [[1, 1], [1, 6], [6, 1], [2, 2], [7, 5], [13, 11], [32, 17]];
  const radii = [0, 1, 2, 3, 5, 40];
  for (const [w, h] of sizes) {
    const pixels = randomBytes(rand, w * h * 4);
    for (const radius of radii) {
      test(`${w}x${h} radius ${radius}`, () => {
        const out = new Uint8Array(pixels.length).fill(1);
        expect(ref.blur({ pixels, width: w, height: h, radius, out })).toBe(out);
        expect(out).toEqual(oracle(pixels, w, h, radius));
      });
    }
  }

  test('radius 0 is the identity', () => {
    const pixels = randomBytes(rand, 9 * 4 * 4);
    expect(ref.blur({ pixels, width: 9, height: 4, radius: 0, out: new Uint8Array(pixels.length) })).toEqual(pixels);
  });

  test('constant image stays constant; channels are independent', () => {
    const w = 10, h = 6;
    const pixels = new Uint8Array(w * h * 4);
    for (let i = 0; i < pixels.length; i += 4) pixels.set([255, 0, 128, 7], i);
    expect(ref.blur({ pixels, width: w, height: h, radius: 3, out: new Uint8Array(pixels.length) })).toEqual(pixels);
  });
});

describe('histogram', () => {
  const rand = mulberry32(5);
  const oracle = (data) => data.reduce((c, v) => (c[v]++, c), new Array(256).fill(0));

  test.each([0, 1, 255, 256, 10007])('length %i with provided out (stale contents)', (len) => {
    const data = randomBytes(rand, len);
    const out = new Uint32Array(256).fill(999);
    expect(ref.histogram({ data, out })).toBe(out);
    expect(Array.from(out)).toEqual(oracle(data));
  });

  test('allocates a fresh Uint32Array(256) when out is absent', () => {
    const data = randomBytes(rand, 5000);
    const res = ref.histogram({ data });
    expect(res).toBeInstanceOf(Uint32Array);
    expect(Array.from(res)).toEqual(oracle(data)); // also checks length 256
  });

  test('all same byte', () => {
    const res = ref.histogram({ data: new Uint8Array(1000).fill(200) });
    expect([res[200], res.reduce((a, b) => a + b, 0)]).toEqual([1000, 1000]);
  });
});

describe('sort', () => {
  // Expected order: numeric ascending, -0 before +0, NaN last.
  function comparator(a, b) {
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
    if (Number.isNaN(b)) return -1;
    if (a < b) return -1;
    if (a > b) return 1;
    if (a === 0 && b === 0) return (Object.is(a, -0) ? 0 : 1) - (Object.is(b, -0) ? 0 : 1);
    return 0;
  }

  function check(values) {
    const data = Float64Array.from(values);
    const want = Array.from(values).sort(comparator);
    expect(ref.sort({ data })).toBe(data);
    for (let i = 0; i < want.length; i++) {
      if (!Object.is(data[i], want[i])) throw new Error(`index ${i}: got ${data[i]}, want ${want[i]}`);
    }
  }

  test('empty, single and special values', () => {
    check([]);
    check([NaN]);
    check([-0]);
    check([0, -0, NaN, Infinity, -Infinity, 1, -1, -0, 0, NaN, 5e-324, -5e-324, Number.MAX_VALUE]);
    check([NaN, NaN, -0, 0, -0]);
  });

  test('random with duplicates and specials', () => {
    const rand = mulberry32(1234);
    const specials = [0, -0, NaN, Infinity, -Infinity];
    const pick = (r) => (r < 0.05 ? specials[Math.floor(rand() * 5)]
      : r < 0.3 ? Math.floor(rand() * 20) - 10 : (rand() - 0.5) * 1e6);
    check(Array.from({ length: 5000 }, () => pick(rand())));
  });
});

describe('primes', () => {
  const known = [[0, 0], [1, 0], [2, 0], [3, 1], [4, 2], [5, 2], [10, 4], [100, 25], [1e6, 78498], [1e7, 664579]];
  test.each(known)('limit %i -> %i', (limit, count) => expect(ref.primes({ limit })).toEqual({ count }));

  test('matches a naive sieve for every limit 0..2000', () => {
    const N = 2000;
    const isComposite = new Uint8Array(N + 1);
    const prefix = new Array(N + 1).fill(0); // prefix[l] = #primes < l
    for (let i = 2; i <= N; i++) if (!isComposite[i]) for (let j = i * i; j <= N; j += i) isComposite[j] = 1;
    for (let l = 1; l <= N; l++) prefix[l] = prefix[l - 1] + (l - 1 >= 2 && !isComposite[l - 1] ? 1 : 0);
    for (let limit = 0; limit <= N; limit++) {
      const got = ref.primes({ limit }).count;
      if (got !== prefix[limit]) throw new Error(`limit ${limit}: got ${got}, want ${prefix[limit]}`);
    }
  });

  test('segment boundaries (one segment spans 65536 integers)', () => {
    // pi(65537) = 6542 (65521 is the largest prime < 2**16); 65537 itself is prime.
    expect(ref.primes({ limit: 65537 }).count).toBe(6542);
    expect(ref.primes({ limit: 65538 }).count).toBe(6543);
    expect(ref.primes({ limit: 131072 }).count).toBe(12251);
  });
});
