'use strict';

const { ThreadPool } = require('..');
const reference = require('../lib/reference');
const { mulberry32, randomBytes, randomDoubles, shared } = require('./helpers/random');

const rand = mulberry32(0x5eed);
const pools = {};
beforeAll(() => {
  for (const threads of [1, 2, 3]) pools[threads] = new ThreadPool({ threads });
});
afterAll(() => Promise.all(Object.values(pools).map((p) => p.destroy())));

/** Runs `kernel` on every pool (in place on shared memory) and on the reference; returns both. */
async function bothWays(kernel, makeInput, pick) {
  const expected = pick(reference[kernel](makeInput(false)), null);
  for (const pool of Object.values(pools)) {
    const input = makeInput(true);
    const result = await pool.run(kernel, input);
    expect(pick(result, input)).toEqual(expected);
  }
}

const asArray = (r) => Array.from(r);

describe('mandelbrot is bit-exact', () => {
  test.each([
    [0, 0, 10],
    [1, 1, 100],
    [2, 3, 0],
    [7, 5, 1],
    [13, 11, 200],
    [97, 61, 300],
    [257, 129, 500],
    [1000, 3, 50],
  ])('%ix%i, %i iterations', async (width, height, maxIterations) => {
    await bothWays('mandelbrot', () => ({ width, height, maxIterations, out: shared(new Uint32Array(width * height)) }), asArray);
  });

  test('a custom region with awkward coordinates', async () => {
    const region = { xMin: -0.7436447860, xMax: -0.7436437860, yMin: 0.1318252536, yMax: 0.1318262536 };
    await bothWays('mandelbrot', () => ({ width: 123, height: 77, maxIterations: 2000, ...region, out: shared(new Uint32Array(123 * 77)) }), asArray);
  });

  test('a large image split over every thread', async () => {
    await bothWays('mandelbrot', () => ({ width: 1031, height: 769, maxIterations: 120, out: shared(new Uint32Array(1031 * 769)) }), asArray);
  });
});

describe('matmul agrees to a relative 1e-9', () => {
  test.each([
    [0, 0, 0],
    [1, 1, 1],
    [0, 3, 2],
    [3, 0, 2],
    [7, 5, 3],
    [1, 129, 1],
    [67, 131, 71],
    [257, 200, 130],
  ])('%ix%i · %ix?', async (n, k, m) => {
    const a = randomDoubles(rand, n * k, 10);
    const b = randomDoubles(rand, k * m, 10);
    const expected = reference.matmul({ a, b, n, k, m, out: new Float64Array(n * m) });
    for (const pool of Object.values(pools)) {
      const out = await pool.run('matmul', { a: shared(a), b: shared(b), n, k, m, out: shared(new Float64Array(n * m)) });
      for (let i = 0; i < out.length; i++) {
        const scale = Math.max(1, Math.abs(expected[i]));
        expect(Math.abs(out[i] - expected[i]) / scale).toBeLessThan(1e-9);
      }
    }
  });

  test('a and b may be the same array', async () => {
    const a = randomDoubles(rand, 9);
    const expected = Array.from(reference.matmul({ a, b: a, n: 3, k: 3, m: 3, out: new Float64Array(9) }));
    const sa = shared(a);
    const out = await pools[2].run('matmul', { a: sa, b: sa, n: 3, k: 3, m: 3, out: shared(new Float64Array(9)) });
    Array.from(out).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
  });
});

describe('sha256 equals the reference (and node:crypto)', () => {
  test.each([
    [0, 64],
    [1, 1],
    [55, 64],
    [64, 64],
    [65, 64],
    [1000, 7],
    [1000, 4096],
    [100003, 997],
    [1 << 20, 1 << 16],
  ])('%i bytes in chunks of %i', async (length, chunkSize) => {
    const data = randomBytes(rand, length);
    const chunks = Math.ceil(length / chunkSize);
    await bothWays('sha256', (sab) => ({ data: sab ? shared(data) : data, chunkSize, out: shared(new Uint8Array(32 * chunks)) }), asArray);
  });
});

describe('blur is bit-exact', () => {
  test.each([
    [0, 0, 1],
    [1, 1, 0],
    [1, 1, 5],
    [5, 3, 1],
    [17, 13, 2],
    [64, 48, 7],
    [31, 29, 40],
    [301, 203, 9],
  ])('%ix%i radius %i', async (width, height, radius) => {
    const pixels = randomBytes(rand, width * height * 4);
    await bothWays('blur', (sab) => ({ pixels: sab ? shared(pixels) : pixels, width, height, radius, out: shared(new Uint8Array(pixels.length)) }), asArray);
  });

  test('Uint8ClampedArray (canvas ImageData) works too', async () => {
    const pixels = new Uint8ClampedArray(randomBytes(rand, 9 * 7 * 4));
    const expected = Array.from(reference.blur({ pixels, width: 9, height: 7, radius: 2, out: new Uint8ClampedArray(pixels.length) }));
    const out = await pools[2].run('blur', { pixels, width: 9, height: 7, radius: 2, out: new Uint8ClampedArray(pixels.length) });
    expect(Array.from(out)).toEqual(expected);
  });
});

describe('histogram is exact', () => {
  test.each([0, 1, 255, 256, 4097, 1_000_003])('%i bytes', async (length) => {
    const data = randomBytes(rand, length);
    await bothWays('histogram', (sab) => ({ data: sab ? shared(data) : data }), asArray);
  });

  test('out is overwritten, not added to', async () => {
    const out = shared(new Uint32Array(256).fill(9));
    await pools[1].run('histogram', { data: shared(new Uint8Array([5])), out });
    expect(out[5]).toBe(1);
    expect(out[0]).toBe(0);
  });
});

describe('sort matches Float64Array.prototype.sort', () => {
  const special = [NaN, -0, 0, Infinity, -Infinity, 1e-310, -1e-310, Number.MAX_VALUE, -Number.MAX_VALUE, 5, 5, -5];
  const cases = {
    empty: () => new Float64Array(0),
    one: () => new Float64Array([42]),
    specials: () => Float64Array.from(special),
    'negative NaN bits': () => {
      const d = Float64Array.from([3, NaN, 1, -0, 0]);
      new DataView(d.buffer).setUint32(12, 0xfff80000, true);
      return d;
    },
    'random 10007': () => randomDoubles(rand, 10007, 1e6),
    'random with specials 300001': () => {
      const d = randomDoubles(rand, 300001, 100);
      for (let i = 0; i < d.length; i += 97) d[i] = special[i % special.length];
      return d;
    },
    'few distinct values': () => Float64Array.from({ length: 50000 }, () => Math.floor(rand() * 4)),
    sorted: () => Float64Array.from({ length: 20000 }, (_, i) => i),
    reversed: () => Float64Array.from({ length: 20000 }, (_, i) => -i),
  };
  test.each(Object.keys(cases))('%s', async (name) => {
    const data = cases[name]();
    const expected = Array.from(data.slice().sort());
    for (const pool of Object.values(pools)) {
      const result = Array.from(await pool.run('sort', { data: shared(data) }));
      expect(result.length).toBe(expected.length);
      result.forEach((v, i) => {
        if (!Object.is(v, expected[i])) throw new Error(`index ${i}: got ${v}, expected ${expected[i]}`);
      });
    }
  });
});

describe('primes counts exactly', () => {
  test.each([0, 1, 2, 3, 4, 10, 100, 7919, 7920, 65536, 65537, 1_000_000, 10_000_000])('below %i', async (limit) => {
    await bothWays('primes', () => ({ limit }), (r) => r.count);
  });
});
