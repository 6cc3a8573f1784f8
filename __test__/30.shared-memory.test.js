'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const { SharedMemory, ThreadPool } = require('..');
const reference = require('../lib/reference');

const root = path.join(__dirname, '..');
const fdCount = () => fs.readdirSync('/proc/self/fd').length;

/** Starts `node -e script` with the memfd as its fd 3; resolves with its exit code and stdout. */
function runWithFd(shm, script) {
  const child = spawn(process.execPath, ['-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe', shm.fd] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout: stdout.trim(), stderr })));
  return { child, done };
}

function startWorker(source, workerData) {
  const worker = new Worker(source, { eval: true, workerData: { entry: root, ...workerData } });
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  const message = () => new Promise((resolve) => worker.once('message', resolve));
  return { worker, exited, message };
}

describe('SharedMemory: memory', () => {
  test('a zero-filled ArrayBuffer that typed arrays, DataView and Atomics work on', () => {
    const shm = new SharedMemory(100);
    expect(shm.byteLength).toBe(100);
    expect(shm.closed).toBe(false);
    expect(shm.buffer).toBeInstanceOf(ArrayBuffer);
    expect(shm.buffer.byteLength).toBe(100);
    expect(new Uint8Array(shm.buffer).every((b) => b === 0)).toBe(true);
    const words = new Int32Array(shm.buffer, 0, 25);
    expect(Atomics.add(words, 3, 5)).toBe(0);
    expect(Atomics.compareExchange(words, 3, 5, 9)).toBe(5);
    expect(Atomics.load(words, 3)).toBe(9);
    new DataView(shm.buffer).setFloat64(16, Math.PI, true);
    expect(new Float64Array(shm.buffer, 16, 1)[0]).toBe(Math.PI);
    expect(typeof shm.fd).toBe('number');
    shm.close();
  });

  test('fromFd maps the same bytes a second time, and keeps working when the first closes', () => {
    const a = new SharedMemory(4096);
    const b = SharedMemory.fromFd(a.fd);
    expect(b.byteLength).toBe(4096);
    expect(b.fd).not.toBe(a.fd);
    new Uint8Array(a.buffer)[4095] = 77;
    expect(new Uint8Array(b.buffer)[4095]).toBe(77);
    a.close();
    new Uint8Array(b.buffer)[0] = 1;
    expect(new Uint8Array(b.buffer)[4095]).toBe(77);
    b.close();
  });

  test('sizes up to MAX_BYTES are accepted; memory is only used once touched', () => {
    expect(SharedMemory.MAX_BYTES).toBe(2 ** 32);
    const big = new SharedMemory(SharedMemory.MAX_BYTES);
    expect(big.buffer.byteLength).toBe(2 ** 32);
    new Uint8Array(big.buffer)[2 ** 32 - 1] = 1;
    big.close();
    const one = new SharedMemory(1);
    expect(one.byteLength).toBe(1);
    one.close();
  });

  test.each([
    ['zero', 0, 'ERR_OUT_OF_RANGE', 'RangeError'],
    ['negative', -8, 'ERR_OUT_OF_RANGE', 'RangeError'],
    ['NaN', NaN, 'ERR_OUT_OF_RANGE', 'RangeError'],
    ['a fraction', 10.5, 'ERR_OUT_OF_RANGE', 'RangeError'],
    ['Infinity', Infinity, 'ERR_OUT_OF_RANGE', 'RangeError'],
    ['beyond the limit', 2 ** 32 + 1, 'ERR_OUT_OF_RANGE', 'RangeError'],
    ['huge', 2 ** 60, 'ERR_OUT_OF_RANGE', 'RangeError'],
    ['a string', '64', 'ERR_INVALID_ARG_TYPE', 'TypeError'],
    ['missing', undefined, 'ERR_INVALID_ARG_TYPE', 'TypeError'],
    ['a bigint', 64n, 'ERR_INVALID_ARG_TYPE', 'TypeError'],
  ])('a size that is %s is refused', (_, size, code, name) => {
    expect(() => new SharedMemory(size)).toThrow(expect.objectContaining({ code, name }));
  });

  test('fromFd refuses what it cannot map safely', () => {
    expect(() => SharedMemory.fromFd('3')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => SharedMemory.fromFd(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => SharedMemory.fromFd(1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => SharedMemory.fromFd(NaN)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => SharedMemory.fromFd(999999)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    // A regular file could be truncated under the mapping (SIGBUS): only sealed memfds are taken.
    const file = path.join(os.tmpdir(), `np-shm-${process.pid}`);
    fs.writeFileSync(file, Buffer.alloc(4096));
    const fd = fs.openSync(file, 'r+');
    try {
      expect(() => SharedMemory.fromFd(fd)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/sealed/) }));
    } finally {
      fs.closeSync(fd);
      fs.rmSync(file);
    }
    const shm = new SharedMemory(8);
    const readOnly = fs.openSync(`/proc/self/fd/${shm.fd}`, 'r');
    try {
      expect(() => SharedMemory.fromFd(readOnly)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    } finally {
      fs.closeSync(readOnly);
      shm.close();
    }
  });

  test('creating and closing many segments leaks no fd', () => {
    const before = fdCount();
    for (let i = 0; i < 300; i++) {
      const shm = new SharedMemory(4096 + i);
      new Uint8Array(shm.buffer)[i] = 1;
      SharedMemory.fromFd(shm.fd).close();
      shm.close();
    }
    expect(fdCount()).toBe(before);
  });
});

describe('SharedMemory: close', () => {
  test('detaches the buffer: views become empty, methods throw ERR_INVALID_STATE', () => {
    const shm = new SharedMemory(64);
    const bytes = new Uint8Array(shm.buffer);
    const words = new Int32Array(shm.buffer);
    bytes[0] = 1;
    shm.close();
    expect(shm.closed).toBe(true);
    expect(shm.byteLength).toBe(0);
    expect(shm.buffer.byteLength).toBe(0);
    expect(bytes.length).toBe(0);
    expect(words.length).toBe(0);
    expect(bytes[0]).toBeUndefined();
    expect(() => Atomics.load(words, 0)).toThrow(expect.objectContaining({ name: 'TypeError' }));
    const closed = expect.objectContaining({ code: 'ERR_INVALID_STATE' });
    expect(() => shm.fd).toThrow(closed);
    expect(() => shm.wait(0, 0, 0)).toThrow(closed);
    expect(() => shm.notify(0)).toThrow(closed);
    expect(() => new Uint8Array(shm.buffer, 0, 1)).toThrow(expect.objectContaining({ name: 'TypeError' }));
    expect(() => shm.close()).not.toThrow();
    return expect(shm.waitAsync(0, 0)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
  });

  test('a pending waitAsync rejects with ERR_INVALID_STATE when the memory is closed', async () => {
    const shm = new SharedMemory(64);
    const pending = shm.waitAsync(1, 0);
    shm.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
  });

  test('a ThreadPool works on it in place, and close waits for the task to settle', async () => {
    const pool = new ThreadPool({ threads: 2 });
    const shm = new SharedMemory(61 * 37 * 4 + 8);
    const out = new Uint32Array(shm.buffer, 8, 61 * 37);
    const task = pool.run('mandelbrot', { width: 61, height: 37, maxIterations: 300, out });
    expect(() => shm.close()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect(await task).toBe(out);
    const want = reference.mandelbrot({ width: 61, height: 37, maxIterations: 300, out: new Uint32Array(61 * 37) });
    expect(Array.from(out)).toEqual(Array.from(want));
    shm.close();
    await expect(pool.run('mandelbrot', { width: 61, height: 37, maxIterations: 1, out })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await pool.destroy();
  });
});

describe('SharedMemory: wait and notify', () => {
  test('results like Atomics.wait', () => {
    const shm = new SharedMemory(16);
    const words = new Int32Array(shm.buffer);
    words[1] = 7;
    expect(shm.wait(1, 6)).toBe('not-equal');
    expect(shm.wait(1, 7, 0)).toBe('timed-out');
    expect(shm.wait(1, 7, 5)).toBe('timed-out');
    expect(shm.notify(1)).toBe(0);
    words[2] = -1;
    expect(shm.wait(2, 0xffffffff, 0)).toBe('timed-out'); // taken modulo 2^32, as Atomics does
    shm.close();
  });

  test('waitAsync resolves without blocking the event loop', async () => {
    const shm = new SharedMemory(16);
    const words = new Int32Array(shm.buffer);
    expect(await shm.waitAsync(0, 1)).toBe('not-equal');
    expect(await shm.waitAsync(0, 0, 0)).toBe('timed-out');
    expect(await shm.waitAsync(0, 0, 20)).toBe('timed-out');
    // The notify comes from a timer: were the event loop blocked, it would never fire.
    const pending = shm.waitAsync(0, 0);
    setTimeout(() => {
      Atomics.store(words, 0, 1);
      shm.notify(0);
    }, 10);
    expect(await pending).toBe('ok');
    // Many at once, woken together.
    const many = Array.from({ length: 20 }, () => shm.waitAsync(3, 0));
    let woken = 0;
    while (woken < 20) {
      woken += shm.notify(3);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await Promise.all(many)).toEqual(Array(20).fill('ok'));
    shm.close();
  });

  test.each([
    ['index negative', (s) => s.wait(-1, 0, 0), 'ERR_OUT_OF_RANGE'],
    ['index past the last word', (s) => s.wait(4, 0, 0), 'ERR_OUT_OF_RANGE'],
    ['index NaN', (s) => s.notify(NaN), 'ERR_OUT_OF_RANGE'],
    ['index a fraction', (s) => s.notify(1.5), 'ERR_OUT_OF_RANGE'],
    ['index a string', (s) => s.wait('0', 0, 0), 'ERR_INVALID_ARG_TYPE'],
    ['value missing', (s) => s.wait(0), 'ERR_INVALID_ARG_TYPE'],
    ['value NaN', (s) => s.wait(0, NaN, 0), 'ERR_OUT_OF_RANGE'],
    ['value beyond 32 bits', (s) => s.wait(0, 2 ** 32, 0), 'ERR_OUT_OF_RANGE'],
    ['timeout negative', (s) => s.wait(0, 0, -1), 'ERR_OUT_OF_RANGE'],
    ['timeout NaN', (s) => s.wait(0, 0, NaN), 'ERR_OUT_OF_RANGE'],
    ['timeout a string', (s) => s.wait(0, 0, '5'), 'ERR_INVALID_ARG_TYPE'],
    ['count negative', (s) => s.notify(0, -1), 'ERR_OUT_OF_RANGE'],
    ['count NaN', (s) => s.notify(0, NaN), 'ERR_OUT_OF_RANGE'],
  ])('refuses %s', (_, call, code) => {
    const shm = new SharedMemory(16);
    try {
      expect(() => call(shm)).toThrow(expect.objectContaining({ code }));
    } finally {
      shm.close();
    }
  });

  test('waitAsync rejects bad arguments instead of throwing', async () => {
    const shm = new SharedMemory(16);
    await expect(shm.waitAsync(99, 0)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(shm.waitAsync(0, 0, -5)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    const tiny = new SharedMemory(3);
    expect(() => tiny.notify(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    tiny.close();
    shm.close();
  });

  test('across threads: a ping-pong with a Worker that maps the memory by fd', async () => {
    const shm = new SharedMemory(64);
    const words = new Int32Array(shm.buffer);
    const rounds = 200;
    const { message, exited } = startWorker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      const { SharedMemory } = require(workerData.entry);
      const shm = SharedMemory.fromFd(workerData.fd);
      const words = new Int32Array(shm.buffer);
      parentPort.postMessage('ready');
      for (let i = 1; i <= workerData.rounds; i++) {
        while (Atomics.load(words, 0) !== 2 * i - 1) shm.wait(0, 2 * i - 2);   // wait for ping i
        Atomics.store(words, 0, 2 * i);                                         // pong i
        shm.notify(0);
      }
      parentPort.postMessage(shm.wait(1, 0, 10));
      shm.close();`,
      { fd: shm.fd, rounds },
    );
    expect(await message()).toBe('ready');
    for (let i = 1; i <= rounds; i++) {
      Atomics.store(words, 0, 2 * i - 1);
      shm.notify(0);
      while (Atomics.load(words, 0) !== 2 * i) await shm.waitAsync(0, 2 * i - 1);
    }
    expect(await message()).toBe('timed-out');
    expect(await exited).toBe(0);
    expect(words[0]).toBe(2 * rounds);
    shm.close();
  });
});

describe('SharedMemory: across processes', () => {
  const childScript = (body) => `
    const { SharedMemory } = require('.');
    const shm = SharedMemory.fromFd(3);
    const words = new Int32Array(shm.buffer);
    ${body}`;

  test('a futex ping-pong with a second process that inherited the fd', async () => {
    const shm = new SharedMemory(64);
    const words = new Int32Array(shm.buffer);
    const rounds = 300;
    const { done } = runWithFd(
      shm,
      childScript(`
        for (let i = 1; i <= ${rounds}; i++) {
          while (Atomics.load(words, 0) !== 2 * i - 1) shm.wait(0, 2 * i - 2, 10000);
          Atomics.store(words, 0, 2 * i);
          shm.notify(0);
        }
        console.log(shm.wait(1, 0, 30));`),
    );
    for (let i = 1; i <= rounds; i++) {
      Atomics.store(words, 0, 2 * i - 1);
      shm.notify(0);
      while (Atomics.load(words, 0) !== 2 * i) await shm.waitAsync(0, 2 * i - 1, 10000);
    }
    expect(await done).toMatchObject({ code: 0, stdout: 'timed-out' });
    expect(words[0]).toBe(2 * rounds);
    shm.close();
  });

  test('two processes adding to one counter with Atomics.add reach the exact total', async () => {
    const shm = new SharedMemory(8);
    const words = new Int32Array(shm.buffer);
    const n = 200000;
    const { done } = runWithFd(
      shm,
      childScript(`
        Atomics.add(words, 1, 1); shm.notify(1);               // "started"
        while (Atomics.load(words, 1) !== 2) shm.wait(1, 1);   // "go"
        for (let i = 0; i < ${n}; i++) Atomics.add(words, 0, 1);`),
    );
    while (Atomics.load(words, 1) !== 1) await shm.waitAsync(1, 0);
    Atomics.store(words, 1, 2);
    shm.notify(1);
    for (let i = 0; i < n; i++) Atomics.add(words, 0, 1);
    expect((await done).code).toBe(0);
    expect(words[0]).toBe(2 * n);
    shm.close();
  });

  test('a wait in another process is woken by a notify here', async () => {
    const shm = new SharedMemory(8);
    const words = new Int32Array(shm.buffer);
    const { done } = runWithFd(shm, childScript(`Atomics.store(words, 1, 1); shm.notify(1); console.log(shm.wait(0, 0));`));
    while (Atomics.load(words, 1) !== 1) await shm.waitAsync(1, 0);
    // The child may not be asleep yet: notify until it has gone.
    let exited = false;
    done.then(() => (exited = true));
    while (!exited) {
      shm.notify(0);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await done).toMatchObject({ code: 0, stdout: 'ok' });
    shm.close();
  });
});
