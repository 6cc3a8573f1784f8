'use strict';

const { ThreadPool } = require('..');

const sab = (Ctor, n) => new Ctor(new SharedArrayBuffer(n * Ctor.BYTES_PER_ELEMENT));
const detached = (Ctor, n) => {
  const view = new Ctor(n);
  structuredClone(view.buffer, { transfer: [view.buffer] });
  return view;
};
const mandel = (over = {}) => ({ width: 4, height: 3, maxIterations: 10, out: sab(Uint32Array, 12), ...over });
const mat = (over = {}) => ({ n: 2, k: 3, m: 4, a: new Float64Array(6), b: new Float64Array(12), out: new Float64Array(8), ...over });
const blur = (over = {}) => ({ width: 3, height: 2, radius: 1, pixels: new Uint8Array(24), out: new Uint8Array(24), ...over });
const sha = (over = {}) => ({ data: new Uint8Array(100), chunkSize: 64, out: new Uint8Array(64), ...over });

// [description, kernel, input, expected code, expected error name]
const cases = [
  ['kernel not a string', 42, {}, 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['kernel unknown', 'fft', {}, 'ERR_UNKNOWN_KERNEL', 'TypeError'],
  ['internal kernel by name', '__panic', {}, 'ERR_UNKNOWN_KERNEL', 'TypeError'],
  ['prototype name as kernel', 'toString', {}, 'ERR_UNKNOWN_KERNEL', 'TypeError'],
  ['input is a string', 'mandelbrot', 'big', 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['input is null', 'primes', null, 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['input is an array', 'sort', [], 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['input missing', 'spin', undefined, 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['noop input not an object', 'noop', 5, 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['spin micros missing', 'spin', {}, 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['spin micros negative', 'spin', { micros: -1 }, 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['spin micros NaN', 'spin', { micros: NaN }, 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['spin micros huge', 'spin', { micros: 1e300 }, 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['mandelbrot width missing', 'mandelbrot', mandel({ width: undefined }), 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['mandelbrot width string', 'mandelbrot', mandel({ width: '4' }), 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['mandelbrot width negative', 'mandelbrot', mandel({ width: -4 }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['mandelbrot width fractional', 'mandelbrot', mandel({ width: 4.5 }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['mandelbrot width NaN', 'mandelbrot', mandel({ width: NaN }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['mandelbrot width Infinity', 'mandelbrot', mandel({ width: Infinity }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['mandelbrot height huge', 'mandelbrot', mandel({ height: 2 ** 40 }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['mandelbrot maxIterations negative', 'mandelbrot', mandel({ maxIterations: -1 }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['mandelbrot maxIterations bigint', 'mandelbrot', mandel({ maxIterations: 10n }), 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['mandelbrot xMin NaN', 'mandelbrot', mandel({ xMin: NaN }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['mandelbrot yMax string', 'mandelbrot', mandel({ yMax: '1' }), 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['mandelbrot out missing', 'mandelbrot', mandel({ out: undefined }), 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['mandelbrot out wrong kind', 'mandelbrot', mandel({ out: new Int32Array(12) }), 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['mandelbrot out plain array', 'mandelbrot', mandel({ out: new Array(12).fill(0) }), 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['mandelbrot out too small', 'mandelbrot', mandel({ out: sab(Uint32Array, 11) }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['mandelbrot out too large', 'mandelbrot', mandel({ out: sab(Uint32Array, 13) }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['mandelbrot out detached', 'mandelbrot', mandel({ out: detached(Uint32Array, 12) }), 'ERR_INVALID_ARG_VALUE', 'TypeError'],
  ['mandelbrot out a DataView', 'mandelbrot', mandel({ out: new DataView(new ArrayBuffer(48)) }), 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['matmul n negative', 'matmul', mat({ n: -2 }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['matmul k huge', 'matmul', mat({ k: 2 ** 31 }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['matmul a wrong length', 'matmul', mat({ a: new Float64Array(5) }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['matmul b Float32Array', 'matmul', mat({ b: new Float32Array(12) }), 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['matmul out too small', 'matmul', mat({ out: new Float64Array(7) }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['matmul out overlaps a', 'matmul', (() => { const buf = new SharedArrayBuffer(8 * 8); return mat({ a: new Float64Array(buf, 0, 6), out: new Float64Array(buf) }); })(), 'ERR_INVALID_ARG_VALUE', 'TypeError'],
  ['sha256 chunkSize 0', 'sha256', sha({ chunkSize: 0 }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['sha256 chunkSize fractional', 'sha256', sha({ chunkSize: 1.5 }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['sha256 data a string', 'sha256', sha({ data: 'hello' }), 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['sha256 out wrong length', 'sha256', sha({ out: new Uint8Array(32) }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['sha256 data detached', 'sha256', sha({ data: detached(Uint8Array, 100) }), 'ERR_INVALID_ARG_VALUE', 'TypeError'],
  ['blur radius negative', 'blur', blur({ radius: -1 }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['blur radius huge', 'blur', blur({ radius: 1e9 }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['blur pixels length not width*height*4', 'blur', blur({ pixels: new Uint8Array(18) }), 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['blur out Uint16Array', 'blur', blur({ out: new Uint16Array(24) }), 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['blur out is pixels', 'blur', (() => { const p = new Uint8Array(24); return blur({ pixels: p, out: p }); })(), 'ERR_INVALID_ARG_VALUE', 'TypeError'],
  ['histogram data Int8Array', 'histogram', { data: new Int8Array(4) }, 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['histogram out 255 bins', 'histogram', { data: new Uint8Array(4), out: new Uint32Array(255) }, 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['histogram out overlaps data', 'histogram', (() => { const buf = new SharedArrayBuffer(1024); return { data: new Uint8Array(buf), out: new Uint32Array(buf) }; })(), 'ERR_INVALID_ARG_VALUE', 'TypeError'],
  ['sort data Float32Array', 'sort', { data: new Float32Array(4) }, 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['sort data missing', 'sort', {}, 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['primes limit negative', 'primes', { limit: -5 }, 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['primes limit beyond 2^36', 'primes', { limit: 2 ** 36 + 1 }, 'ERR_OUT_OF_RANGE', 'RangeError'],
  ['primes limit a string', 'primes', { limit: '100' }, 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ['primes limit NaN', 'primes', { limit: NaN }, 'ERR_OUT_OF_RANGE', 'RangeError'],
];

describe('bad input is refused before native code runs', () => {
  let pool;
  beforeAll(() => {
    pool = new ThreadPool({ threads: 1 });
  });
  afterAll(() => pool.destroy());

  test.each(cases)('%s', async (_, kernel, input, code, name) => {
    const err = await pool.run(kernel, input).then(
      () => null,
      (e) => e,
    );
    expect(err).not.toBeNull();
    expect(err.code).toBe(code);
    expect(err.name).toBe(name);
    expect(err.message.length).toBeGreaterThan(10);
  });

  test('nothing reached the pool', () => {
    expect(pool.stats()).toMatchObject({ completed: 0, failed: 0, cancelled: 0, queued: 0, running: 0 });
  });

  test('error messages name the field', async () => {
    await expect(pool.run('mandelbrot', mandel({ width: -4 }))).rejects.toThrow(/input\.width/);
    await expect(pool.run('matmul', mat({ b: new Float32Array(12) }))).rejects.toThrow(/input\.b/);
    await expect(pool.run('blur', blur({ out: new Uint8Array(3) }))).rejects.toThrow(/input\.out\.length/);
  });

  test.each([
    ['options not an object', 'noop', {}, 'fast', 'ERR_INVALID_ARG_TYPE'],
    ['signal not a signal', 'noop', {}, { signal: {} }, 'ERR_INVALID_ARG_TYPE'],
    ['signal null', 'noop', {}, { signal: null }, 'ERR_INVALID_ARG_TYPE'],
  ])('%s', async (_, kernel, input, options, code) => {
    await expect(pool.run(kernel, input, options)).rejects.toMatchObject({ code });
  });
});

describe('bad constructor options throw synchronously', () => {
  test.each([
    ['options a number', 4, 'ERR_INVALID_ARG_TYPE'],
    ['threads 0', { threads: 0 }, 'ERR_OUT_OF_RANGE'],
    ['threads negative', { threads: -1 }, 'ERR_OUT_OF_RANGE'],
    ['threads NaN', { threads: NaN }, 'ERR_OUT_OF_RANGE'],
    ['threads fractional', { threads: 1.5 }, 'ERR_OUT_OF_RANGE'],
    ['threads huge', { threads: 1e6 }, 'ERR_OUT_OF_RANGE'],
    ['threads a string', { threads: '2' }, 'ERR_INVALID_ARG_TYPE'],
    ['maxQueue negative', { maxQueue: -1 }, 'ERR_OUT_OF_RANGE'],
    ['maxQueue NaN', { maxQueue: NaN }, 'ERR_OUT_OF_RANGE'],
    ['maxQueue a string', { maxQueue: 'lots' }, 'ERR_INVALID_ARG_TYPE'],
  ])('%s', (_, options, code) => {
    let err;
    try {
      new ThreadPool(options);
    } catch (e) {
      err = e;
    }
    expect(err?.code).toBe(code);
  });
});
