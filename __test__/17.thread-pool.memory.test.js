'use strict';

const { ThreadPool } = require('..');
const reference = require('../lib/reference');

describe('memory rule', () => {
  let pool;
  beforeAll(() => {
    pool = new ThreadPool({ threads: 2 });
  });
  afterAll(() => pool.destroy());

  const input = (out) => ({ width: 40, height: 30, maxIterations: 64, out });
  const expected = Array.from(reference.mandelbrot(input(new Uint32Array(1200))));

  test('a SharedArrayBuffer view is written in place and returned', async () => {
    const out = new Uint32Array(new SharedArrayBuffer(1200 * 4));
    const result = await pool.run('mandelbrot', input(out));
    expect(result).toBe(out);
    expect(Array.from(out)).toEqual(expected);
  });

  test('a view into the middle of a shared buffer touches only its own bytes', async () => {
    const buf = new SharedArrayBuffer((1200 + 20) * 4);
    const whole = new Uint32Array(buf).fill(0xdead);
    const out = new Uint32Array(buf, 40, 1200);
    await pool.run('mandelbrot', input(out));
    expect(Array.from(out)).toEqual(expected);
    expect(Array.from(whole.subarray(0, 10))).toEqual(new Array(10).fill(0xdead));
    expect(Array.from(whole.subarray(1210))).toEqual(new Array(10).fill(0xdead));
  });

  test('a plain ArrayBuffer view is copied out to the same object', async () => {
    const out = new Uint32Array(1200);
    const result = await pool.run('mandelbrot', input(out));
    expect(result).toBe(out);
    expect(Array.from(out)).toEqual(expected);
  });

  test('plain inputs are copied at submit: later changes do not leak in', async () => {
    const data = new Float64Array([3, 1, 2]);
    const task = pool.run('sort', { data });
    data[0] = -100;
    await task;
    expect(Array.from(data)).toEqual([1, 2, 3]);
  });

  test('a Buffer works as bytes', async () => {
    const counts = await pool.run('histogram', { data: Buffer.from('aab') });
    expect(counts[97]).toBe(2);
    expect(counts[98]).toBe(1);
  });

  test('an output detached while its task runs rejects with ERR_INVALID_STATE', async () => {
    const out = new Uint32Array(1200);
    const task = pool.run('mandelbrot', input(out));
    structuredClone(out.buffer, { transfer: [out.buffer] });
    await expect(task).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
  });

  test('an input detached after submit does not matter (it was copied)', async () => {
    const data = new Uint8Array([1, 1, 2]);
    const task = pool.run('histogram', { data });
    structuredClone(data.buffer, { transfer: [data.buffer] });
    const counts = await task;
    expect(counts[1]).toBe(2);
  });

  test('empty arrays are fine', async () => {
    await expect(pool.run('sort', { data: new Float64Array(0) })).resolves.toHaveLength(0);
    await expect(pool.run('mandelbrot', { width: 0, height: 5, maxIterations: 5, out: new Uint32Array(0) })).resolves.toHaveLength(0);
  });
});
