'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ProcessPool, SharedMemory, ThreadPool } = require('..');
const reference = require('../lib/reference');
const { mulberry32, randomBytes, randomDoubles, shared } = require('./helpers/random');
const { childrenOf, waitForNoChildren } = require('./helpers/processes');

/** Typed arrays carved out of one SharedMemory, closed after each test. */
function arena(bytes) {
  const shm = new SharedMemory(bytes);
  let at = 0;
  const take = (Ctor, n) => {
    at = Math.ceil(at / 8) * 8;
    const view = new Ctor(shm.buffer, at, n);
    at += n * Ctor.BYTES_PER_ELEMENT;
    return view;
  };
  return { shm, take };
}

/** Inodes of the memfds mapped by `pid`. */
function mappedMemfds(pid) {
  const inodes = new Set();
  for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    if (line.includes('native-parallel-shm')) inodes.add(Number(line.trim().split(/\s+/)[4]));
  }
  return inodes;
}

describe('ProcessPool: construction', () => {
  let pool;
  afterEach(async () => {
    await pool?.destroy();
    pool = undefined;
    expect(await waitForNoChildren()).toEqual([]);
  });

  test('forks `processes` workers (default: os.availableParallelism())', () => {
    pool = new ProcessPool();
    expect(pool.processes).toBe(os.availableParallelism());
    expect(pool.pids).toHaveLength(os.availableParallelism());
    expect(childrenOf().sort()).toEqual([...pool.pids].sort());
  });

  test("lists its kernels: the same as ThreadPool's", () => {
    expect(ProcessPool.kernels).toEqual(['noop', 'spin', 'mandelbrot', 'matmul', 'sha256', 'blur', 'histogram', 'sort', 'primes']);
    expect(ProcessPool.kernels).toEqual(ThreadPool.kernels);
    expect(Object.isFrozen(ProcessPool.kernels)).toBe(true);
  });

  test.each([
    ['options null', null, 'ERR_INVALID_ARG_TYPE'],
    ['options an array', [], 'ERR_INVALID_ARG_TYPE'],
    ['processes 0', { processes: 0 }, 'ERR_OUT_OF_RANGE'],
    ['processes negative', { processes: -2 }, 'ERR_OUT_OF_RANGE'],
    ['processes NaN', { processes: NaN }, 'ERR_OUT_OF_RANGE'],
    ['processes a fraction', { processes: 1.5 }, 'ERR_OUT_OF_RANGE'],
    ['processes huge', { processes: 1e9 }, 'ERR_OUT_OF_RANGE'],
    ['processes a string', { processes: '2' }, 'ERR_INVALID_ARG_TYPE'],
  ])('refuses %s', (_, options, code) => {
    expect(() => new ProcessPool(options)).toThrow(expect.objectContaining({ code }));
    expect(childrenOf()).toEqual([]);
  });
});

describe('ProcessPool: kernels agree with the reference', () => {
  let pool;
  let shm;
  beforeAll(() => {
    pool = new ProcessPool({ processes: 3 });
  });
  afterAll(async () => {
    await pool.destroy();
    expect(await waitForNoChildren()).toEqual([]);
  });
  afterEach(() => shm?.close());

  test.each([
    [1, 1],
    [7, 2],
    [61, 37],
    [300, 211],
    [0, 5],
    [5, 0],
  ])('mandelbrot %i x %i', async (width, height) => {
    let take;
    ({ shm, take } = arena(width * height * 4 + 8));
    const out = take(Uint32Array, width * height);
    const input = { width, height, maxIterations: 200, xMin: -1.5, yMax: 1, out };
    await expect(pool.run('mandelbrot', input)).resolves.toBe(out);
    const want = reference.mandelbrot({ ...input, out: new Uint32Array(width * height) });
    expect(Array.from(out)).toEqual(Array.from(want));
  });

  test.each([
    ['in SharedMemory', true],
    ['in a plain ArrayBuffer (copy-on-write snapshot)', false],
  ])('sha256 with data %s agrees with node:crypto', async (_, inShm) => {
    const rand = mulberry32(5);
    for (const [len, chunkSize] of [
      [0, 64],
      [1, 1],
      [1000, 64],
      [100000, 4096],
      [333333, 100000],
    ]) {
      const chunks = Math.ceil(len / chunkSize);
      let take;
      ({ shm, take } = arena(len + 32 * chunks + 16));
      const bytes = randomBytes(rand, len);
      const data = inShm ? take(Uint8Array, len) : new Uint8Array(len);
      data.set(bytes);
      const out = take(Uint8Array, 32 * chunks);
      await pool.run('sha256', { data, chunkSize, out });
      for (let c = 0; c < chunks; c++) {
        const want = crypto.createHash('sha256').update(bytes.subarray(c * chunkSize, (c + 1) * chunkSize)).digest();
        expect(Buffer.from(out.subarray(32 * c, 32 * c + 32)).equals(want)).toBe(true);
      }
      shm.close();
    }
    shm = undefined;
  });

  test.each([
    ['in SharedMemory', 'shm'],
    ['in a SharedArrayBuffer (copy-on-write snapshot)', 'sab'],
    ['in a Uint8ClampedArray over a plain ArrayBuffer', 'clamped'],
  ])('blur with pixels %s', async (_, where) => {
    const rand = mulberry32(9);
    for (const [width, height, radius] of [
      [1, 1, 0],
      [13, 11, 2],
      [97, 43, 5],
      [64, 3, 40],
      [200, 150, 1],
    ]) {
      const len = width * height * 4;
      let take;
      ({ shm, take } = arena(2 * len + 16));
      const source = randomBytes(rand, len);
      const pixels =
        where === 'shm' ? take(Uint8Array, len) : where === 'sab' ? new Uint8Array(new SharedArrayBuffer(len)) : new Uint8ClampedArray(len);
      pixels.set(source);
      const out = take(Uint8Array, len);
      await pool.run('blur', { pixels, width, height, radius, out });
      const want = reference.blur({ pixels: source, width, height, radius, out: new Uint8Array(len) });
      expect(Buffer.from(out).equals(Buffer.from(want))).toBe(true);
      shm.close();
    }
    shm = undefined;
  });

  test('sort: children sort parts, the parent merges; same order as Float64Array#sort', async () => {
    const rand = mulberry32(3);
    for (const n of [0, 1, 2, 5, 1000, 100003]) {
      let take;
      ({ shm, take } = arena(8 * n + 8));
      const data = take(Float64Array, n);
      for (let i = 0; i < n; i++) data[i] = i % 97 === 0 ? NaN : i % 89 === 0 ? -0 : i % 83 === 0 ? 0 : (rand() - 0.5) * 1e6;
      const want = Float64Array.from(data).sort();
      await expect(pool.run('sort', { data })).resolves.toBe(data);
      // Bit for bit (-0 before +0); NaNs are all the same NaN here.
      expect(Buffer.from(data.buffer, data.byteOffset, data.byteLength).equals(Buffer.from(want.buffer))).toBe(true);
      shm.close();
    }
    shm = undefined;
  });

  test('primes: ranges counted in the children, summed in the parent', async () => {
    for (const limit of [0, 2, 3, 100, 1 << 20, 10_000_000]) {
      await expect(pool.run('primes', { limit })).resolves.toEqual({ count: reference.primes({ limit }).count });
    }
  });

  test('noop and spin; many tasks in flight all settle', async () => {
    await expect(pool.run('noop')).resolves.toBeUndefined();
    await expect(pool.run('spin', { micros: 100 })).resolves.toBeUndefined();
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => pool.run('primes', { limit: i })));
    results.forEach((r, i) => expect(r.count).toBe(reference.primes({ limit: i }).count));
  });
});

describe('ProcessPool: matmul and histogram agree with ThreadPool and the reference', () => {
  let pool;
  let threads;
  let shm;
  beforeAll(() => {
    pool = new ProcessPool({ processes: 3 });
    threads = new ThreadPool({ threads: 2 });
  });
  afterAll(async () => {
    await Promise.all([pool.destroy(), threads.destroy()]);
    expect(await waitForNoChildren()).toEqual([]);
  });
  afterEach(() => {
    shm?.close();
    shm = undefined;
  });

  const bytesOf = (view) => Buffer.from(view.buffer, view.byteOffset, view.byteLength);

  // Products below 2^18 multiply-adds are one part; larger ones one band of rows per process:
  // 5 and 67 rows do not divide by 3, 2 rows leave a process idle.
  test.each([
    [1, 1, 1],
    [0, 3, 2],
    [3, 0, 2],
    [2, 3, 0],
    [7, 5, 3],
    [5, 64, 1000],
    [2, 400, 400],
    [67, 131, 71],
    [257, 200, 130],
  ])('matmul %ix%i · %ix?', async (n, k, m) => {
    const rand = mulberry32(n * 1000 + k + m);
    const a = randomDoubles(rand, n * k, 10);
    const b = randomDoubles(rand, k * m, 10);
    const want = reference.matmul({ a, b, n, k, m, out: new Float64Array(n * m) });
    // ThreadPool's result is the same whatever the split; the process pool's must be that.
    const fromThreads = await threads.run('matmul', { a: shared(a), b: shared(b), n, k, m, out: shared(new Float64Array(n * m)) });
    for (const where of ['shm', 'plain']) {
      let take;
      ({ shm, take } = arena(8 * (n * k + k * m + n * m) + 24));
      const inputs = where === 'shm' ? [take(Float64Array, n * k), take(Float64Array, k * m)] : [new Float64Array(n * k), shared(b)];
      inputs[0].set(a);
      inputs[1].set(b);
      const out = take(Float64Array, n * m).fill(NaN);
      await expect(pool.run('matmul', { a: inputs[0], b: inputs[1], n, k, m, out })).resolves.toBe(out);
      expect(bytesOf(out).equals(bytesOf(fromThreads))).toBe(true);
      for (let i = 0; i < out.length; i++) {
        expect(Math.abs(out[i] - want[i]) / Math.max(1, Math.abs(want[i]))).toBeLessThan(1e-9);
      }
      shm.close();
    }
  });

  test('matmul: a and b may be the same array', async () => {
    let take;
    ({ shm, take } = arena(8 * 2 * 90 * 90 + 16));
    const a = take(Float64Array, 90 * 90);
    a.set(randomDoubles(mulberry32(2), a.length));
    const out = take(Float64Array, a.length);
    await pool.run('matmul', { a, b: a, n: 90, k: 90, m: 90, out });
    const fromThreads = await threads.run('matmul', { a: shared(a), b: shared(a), n: 90, k: 90, m: 90, out: shared(new Float64Array(a.length)) });
    expect(bytesOf(out).equals(bytesOf(fromThreads))).toBe(true);
  });

  test.each([
    ['in SharedMemory', 'shm'],
    ['in a plain ArrayBuffer (copy-on-write snapshot)', 'plain'],
    ['in a Uint8ClampedArray over a SharedArrayBuffer', 'clamped'],
  ])('histogram with data %s: out is overwritten with exact counts', async (_, where) => {
    const rand = mulberry32(17);
    // Below 256 KiB one part; above, one range per process (none a multiple of 3).
    for (const len of [0, 1, 255, 4097, (256 << 10) - 1, (256 << 10) + 1, 1_000_003]) {
      let take;
      ({ shm, take } = arena(len + 1024 + 16));
      const bytes = randomBytes(rand, len);
      // Skewed: long runs of one value.
      bytes.fill(7, 0, len >> 2);
      const data = where === 'shm' ? take(Uint8Array, len) : where === 'plain' ? new Uint8Array(len) : new Uint8ClampedArray(new SharedArrayBuffer(len));
      data.set(bytes);
      const out = take(Uint32Array, 256).fill(9);
      await expect(pool.run('histogram', { data, out })).resolves.toBe(out);
      expect(Array.from(out)).toEqual(Array.from(reference.histogram({ data: bytes })));
      const fromThreads = await threads.run('histogram', { data: shared(bytes) });
      expect(Array.from(out)).toEqual(Array.from(fromThreads));
      shm.close();
    }
  });

  test('the same argument checks as ThreadPool', async () => {
    shm = new SharedMemory(4096);
    const f64 = (n, at = 0) => new Float64Array(shm.buffer, at, n);
    const counts = new Uint32Array(shm.buffer, 2048, 256);
    const cases = [
      ['matmul', { a: new Float64Array(3), b: new Float64Array(4), n: 1, k: 2, m: 2, out: f64(2) }, 'ERR_OUT_OF_RANGE'],
      ['matmul', { a: new Float64Array(2), b: new Float64Array(4), n: 1.5, k: 2, m: 2, out: f64(2) }, 'ERR_OUT_OF_RANGE'],
      ['matmul', { a: new Float64Array(2), b: new Float64Array(4), n: 1, k: 2, m: 2, out: f64(3) }, 'ERR_OUT_OF_RANGE'],
      ['matmul', { a: new Float32Array(2), b: new Float64Array(4), n: 1, k: 2, m: 2, out: f64(2) }, 'ERR_INVALID_ARG_TYPE'],
      ['matmul', { a: new Float64Array(0), b: new Float64Array(0), n: 2 ** 21, k: 0, m: 0, out: f64(0) }, 'ERR_OUT_OF_RANGE'],
      ['matmul', { a: f64(4), b: new Float64Array(4), n: 2, k: 2, m: 2, out: f64(4, 16) }, 'ERR_INVALID_ARG_VALUE'],
      ['matmul', null, 'ERR_INVALID_ARG_TYPE'],
      ['histogram', { data: new Uint8Array(3), out: new Uint32Array(shm.buffer, 0, 255) }, 'ERR_OUT_OF_RANGE'],
      ['histogram', { data: new Uint16Array(3), out: counts }, 'ERR_INVALID_ARG_TYPE'],
      ['histogram', { data: new Uint8Array(shm.buffer, 2048, 8), out: counts }, 'ERR_INVALID_ARG_VALUE'],
      ['histogram', {}, 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [kernel, input, code] of cases) {
      await expect(threads.run(kernel, input)).rejects.toMatchObject({ code });
      await expect(pool.run(kernel, input)).rejects.toMatchObject({ code });
    }
  });
});

describe('ProcessPool: bad input', () => {
  let pool;
  let shm;
  beforeAll(() => {
    pool = new ProcessPool({ processes: 2 });
  });
  afterAll(async () => {
    await pool.destroy();
    expect(await waitForNoChildren()).toEqual([]);
  });
  beforeEach(() => {
    shm = new SharedMemory(4096);
  });
  afterEach(() => shm.close());

  test('unknown and internal kernels', async () => {
    await expect(pool.run('fft', {})).rejects.toMatchObject({ code: 'ERR_UNKNOWN_KERNEL' });
    await expect(pool.run('__segfault')).rejects.toMatchObject({ code: 'ERR_UNKNOWN_KERNEL' });
    await expect(pool.run(42)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  test('outputs must live in SharedMemory', async () => {
    const outside = [new Uint32Array(4), new Uint32Array(new SharedArrayBuffer(16))];
    for (const out of outside) {
      await expect(pool.run('mandelbrot', { width: 2, height: 2, maxIterations: 5, out })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringMatching(/input\.out.*SharedMemory/),
      });
    }
    await expect(pool.run('sort', { data: new Float64Array(3) })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    const a = new Float64Array(shm.buffer, 0, 4);
    await expect(pool.run('matmul', { a, b: a, n: 2, k: 2, m: 2, out: new Float64Array(4) })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    // ThreadPool allocates histogram's out when it is missing; here it must be in SharedMemory.
    for (const out of [undefined, new Uint32Array(256)]) {
      await expect(pool.run('histogram', { data: new Uint8Array(shm.buffer, 0, 8), out })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringMatching(/input\.out.*SharedMemory/),
      });
    }
    await expect(pool.run('blur', { pixels: new Uint8Array(shm.buffer, 0, 4), width: 1, height: 1, radius: 0, out: new Uint8Array(4) })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
    });
  });

  test('the same checks as ThreadPool, before any child is involved', async () => {
    const out = new Uint32Array(shm.buffer, 0, 16);
    const cases = [
      ['mandelbrot', { width: 4, height: 4, maxIterations: -1, out }, 'ERR_OUT_OF_RANGE'],
      ['mandelbrot', { width: 4, height: 4, maxIterations: NaN, out }, 'ERR_OUT_OF_RANGE'],
      ['mandelbrot', { width: 5, height: 4, maxIterations: 5, out }, 'ERR_OUT_OF_RANGE'],
      ['mandelbrot', { width: '4', height: 4, maxIterations: 5, out }, 'ERR_INVALID_ARG_TYPE'],
      ['mandelbrot', { width: 4, height: 4, maxIterations: 5, xMin: Infinity, out }, 'ERR_OUT_OF_RANGE'],
      ['mandelbrot', { width: 4, height: 4, maxIterations: 5, out: new Float64Array(shm.buffer, 0, 16) }, 'ERR_INVALID_ARG_TYPE'],
      ['sha256', { data: new Uint8Array(8), chunkSize: 0, out: new Uint8Array(shm.buffer, 0, 32) }, 'ERR_OUT_OF_RANGE'],
      ['sha256', { data: new Uint8Array(8), chunkSize: 4, out: new Uint8Array(shm.buffer, 0, 32) }, 'ERR_OUT_OF_RANGE'],
      ['blur', { pixels: new Uint8Array(4), width: 1, height: 1, radius: 1e9, out: new Uint8Array(shm.buffer, 0, 4) }, 'ERR_OUT_OF_RANGE'],
      ['primes', { limit: -1 }, 'ERR_OUT_OF_RANGE'],
      ['primes', { limit: 2 ** 40 }, 'ERR_OUT_OF_RANGE'],
      ['primes', null, 'ERR_INVALID_ARG_TYPE'],
      ['spin', { micros: 1.5 }, 'ERR_OUT_OF_RANGE'],
    ];
    for (const [kernel, input, code] of cases) {
      await expect(pool.run(kernel, input)).rejects.toMatchObject({ code });
    }
    const overlapping = new Uint8Array(shm.buffer, 0, 64);
    await expect(pool.run('blur', { pixels: overlapping, width: 4, height: 4, radius: 1, out: overlapping })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
    });
    await expect(pool.run('noop', undefined, { signal: 'nope' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(pool.run('noop', undefined, null)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  test('views over a closed SharedMemory are refused', async () => {
    const other = new SharedMemory(64);
    const out = new Uint32Array(other.buffer, 0, 4);
    other.close();
    await expect(pool.run('mandelbrot', { width: 2, height: 2, maxIterations: 5, out })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });
});

/** Polls `check` until it holds or `ms` have passed; returns its last result. */
async function eventually(check, ms = 2000) {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return check();
}

describe('ProcessPool: SharedMemory lifetime in the children', () => {
  test('a SharedMemory in use cannot be closed; once closed, the children unmap it', async () => {
    const before = new SharedMemory(4096); // exists at fork time
    const pool = new ProcessPool({ processes: 2 });
    const both = () => Promise.all([pool.run('spin', { micros: 1000 }), pool.run('spin', { micros: 1000 })]);
    // A child handles its messages in order, but one that was sent no task may not have been
    // scheduled yet (two tasks need not go one to each child: the first may be done before
    // the second is submitted), so the checks that something is gone poll.
    const unmapped = (inode) => eventually(() => pool.pids.every((pid) => !mappedMemfds(pid).has(inode)));
    try {
      await both();
      expect(await unmapped(fs.fstatSync(before.fd).ino)).toBe(true);

      const shm = new SharedMemory(64 * 64 * 4);
      const inode = fs.fstatSync(shm.fd).ino;
      const out = new Uint32Array(shm.buffer);
      const task = pool.run('mandelbrot', { width: 64, height: 64, maxIterations: 20000, out });
      expect(() => shm.close()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
      await task;
      expect(pool.pids.every((pid) => mappedMemfds(pid).has(inode))).toBe(true);
      shm.close();
      await both();
      expect(await unmapped(inode)).toBe(true);
    } finally {
      await pool.destroy();
      before.close();
    }
    expect(await waitForNoChildren()).toEqual([]);
  });
});

describe('ProcessPool: cancellation and destroy', () => {
  afterEach(async () => {
    expect(await waitForNoChildren()).toEqual([]);
  });

  test('an AbortSignal stops a running task; the pool keeps working with the same children', async () => {
    const pool = new ProcessPool({ processes: 2 });
    const pids = pool.pids;
    const ac = new AbortController();
    const running = pool.run('spin', { micros: 60_000_000 }, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('enough')), 30);
    await expect(running).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    await expect(pool.run('primes', { limit: 100 })).resolves.toEqual({ count: 25 });
    expect(pool.pids).toEqual(pids);

    const aborted = AbortSignal.abort();
    await expect(pool.run('noop', undefined, { signal: aborted })).rejects.toMatchObject({ name: 'AbortError' });
    const late = new AbortController();
    await expect(pool.run('noop', undefined, { signal: late.signal })).resolves.toBeUndefined();
    late.abort();

    // Queued parts are dropped: both children busy, a third task waits and is aborted.
    const shm = new SharedMemory(600 * 600 * 4);
    const busy = [pool.run('spin', { micros: 300_000 }), pool.run('spin', { micros: 300_000 })];
    const queued = new AbortController();
    const waiting = pool.run('mandelbrot', { width: 600, height: 600, maxIterations: 1000, out: new Uint32Array(shm.buffer) }, { signal: queued.signal });
    queued.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    await Promise.all(busy);
    shm.close();
    await pool.destroy();
  });

  test('a one-shot task (input outside SharedMemory) is cancelled too', async () => {
    const pool = new ProcessPool({ processes: 2 });
    const shm = new SharedMemory(32);
    const ac = new AbortController();
    const data = new Uint8Array(64 << 20);
    const task = pool.run('sha256', { data, chunkSize: 64 << 20, out: new Uint8Array(shm.buffer) }, { signal: ac.signal });
    ac.abort();
    await expect(task).rejects.toMatchObject({ name: 'AbortError' });
    await pool.destroy();
    shm.close();
  });

  test.each([
    ['in SharedMemory', true],
    ['outside SharedMemory (one-shot children)', false],
  ])('matmul and histogram with inputs %s are cancelled; histogram leaves out untouched', async (_, inShm) => {
    const pool = new ProcessPool({ processes: 2 });
    const pids = pool.pids;
    const n = 1000;
    const shm = new SharedMemory(8 * 3 * n * n + (64 << 20) + 1024);
    const place = (Ctor, at, len) => (inShm ? new Ctor(shm.buffer, at, len) : new Ctor(len));
    const a = place(Float64Array, 0, n * n).fill(1);
    const b = place(Float64Array, 8 * n * n, n * n).fill(2);
    const out = new Float64Array(shm.buffer, 16 * n * n, n * n);
    const data = place(Uint8Array, 24 * n * n, 64 << 20).fill(3);
    const counts = new Uint32Array(shm.buffer, 24 * n * n + (64 << 20), 256).fill(9);
    // Aborted right after run(): the parts are already running (or forked) and stop at their
    // next check, ~1 ms later at most.
    for (const [kernel, input] of [
      ['matmul', { a, b, n, k: n, m: n, out }],
      ['histogram', { data, out: counts }],
    ]) {
      const ac = new AbortController();
      const task = pool.run(kernel, input, { signal: ac.signal });
      ac.abort();
      await expect(task).rejects.toMatchObject({ name: 'AbortError' });
    }
    expect(Array.from(counts).every((c) => c === 9)).toBe(true);
    // The same children work on.
    await pool.run('histogram', { data: data.subarray(0, 1000), out: counts });
    expect(counts[3]).toBe(1000);
    expect(pool.pids).toEqual(pids);
    await pool.destroy();
    shm.close();
  });

  test('destroy kills and reaps every child; unsettled tasks reject with ERR_POOL_DESTROYED', async () => {
    const pool = new ProcessPool({ processes: 2 });
    const pids = pool.pids;
    const tasks = [pool.run('spin', { micros: 60_000_000 }), pool.run('spin', { micros: 60_000_000 }), pool.run('spin', { micros: 1 })];
    await new Promise((r) => setTimeout(r, 20));
    await pool.destroy();
    for (const t of tasks) await expect(t).rejects.toMatchObject({ code: 'ERR_POOL_DESTROYED' });
    expect(pool.pids).toEqual([]);
    for (const pid of pids) expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
    await expect(pool.run('noop')).rejects.toMatchObject({ code: 'ERR_POOL_DESTROYED' });
    await expect(pool.destroy()).resolves.toBeUndefined();
  });

  test('Symbol.asyncDispose destroys the pool', async () => {
    const pool = new ProcessPool({ processes: 1 });
    const dispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');
    await pool[dispose]();
    await expect(pool.run('noop')).rejects.toMatchObject({ code: 'ERR_POOL_DESTROYED' });
  });

  test('the ESM entry exports the same classes', () => {
    const script = `
      import { ProcessPool, SharedMemory } from 'native-parallel';
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const cjs = require('native-parallel');
      if (ProcessPool !== cjs.ProcessPool || SharedMemory !== cjs.SharedMemory) process.exit(3);
      const pool = new ProcessPool({ processes: 1 });
      const { count } = await pool.run('primes', { limit: 30 });
      await pool.destroy();
      console.log(count);`;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout.trim()).toBe('10');
  });
});
