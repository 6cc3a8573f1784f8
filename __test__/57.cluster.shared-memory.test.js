'use strict';

// SharedMemory handed to native cluster workers: the fd is inherited, every process sees the
// same bytes and futexes, a restarted worker gets the same memory, and bad options are refused
// before anything is forked.
const { cluster, SharedMemory } = require('..');
const { useCluster, once } = require('./helpers/cluster');

useCluster(cluster, { shared: {}, restart: { maxRestarts: 3, windowMs: 60000, backoffMs: 10 } });
const open = [];

/** A SharedMemory closed after the test. */
const shm = (bytes) => {
  const s = new SharedMemory(bytes);
  open.push(s);
  return s;
};

/** Sends `msg` to `w`, resolves with the first reply for which `pick` is truthy. */
function ask(w, msg, pick) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply to ${msg.cmd}`)), 20000);
    const on = (reply) => {
      if (!pick(reply)) return;
      clearTimeout(timer);
      w.off('message', on);
      resolve(reply);
    };
    w.on('message', on);
    w.send(msg);
  });
}

afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

test('two worker processes and the primary add to one counter with Atomics.add: the exact total', async () => {
  const counter = shm(4096);
  const words = new Int32Array(counter.buffer);
  const workers = [cluster.fork(undefined, { shared: { counter } }), cluster.fork(undefined, { shared: { counter } })];
  await Promise.all(workers.map((w) => once(w, 'online')));
  const COUNT = 200000;
  const done = workers.map((w) => ask(w, { cmd: 'shared-add', name: 'counter', index: 3, count: COUNT }, (r) => r.added));
  for (let i = 0; i < COUNT / 4; i++) Atomics.add(words, 3, 1);
  await Promise.all(done);
  expect(Atomics.load(words, 3)).toBe(2 * COUNT + COUNT / 4);
  // Nothing else in the memory was touched.
  expect(words.reduce((sum, v) => sum + v, 0)).toBe(2 * COUNT + COUNT / 4);
});

test('futex across the cluster: a worker waiting in waitAsync wakes on the primary notify(), and times out', async () => {
  const flags = shm(64);
  const words = new Int32Array(flags.buffer);
  const w = cluster.fork(undefined, { shared: { flags } });
  await once(w, 'online');
  const waiting = new Promise((resolve) => {
    w.on('message', function on(r) {
      if (r.waiting) {
        w.off('message', on);
        resolve();
      }
    });
  });
  const result = ask(w, { cmd: 'shared-wait', name: 'flags', index: 1, value: 0, timeout: 20000 }, (r) => r.result);
  await waiting;
  // `waiting` is said just before the wait starts on the worker's native thread, so notify
  // until one waiter was woken (a notify with nobody waiting wakes nobody and is harmless).
  let woken = 0;
  await new Promise((resolve) => {
    const poke = setInterval(() => {
      woken += flags.notify(1);
      if (woken > 0) {
        clearInterval(poke);
        resolve();
      }
    }, 5);
  });
  expect(woken).toBe(1);
  expect(await result).toEqual({ result: 'ok', seen: 0 });
  Atomics.store(words, 1, 7);
  const late = await ask(w, { cmd: 'shared-wait', name: 'flags', index: 2, value: 0, timeout: 50 }, (r) => r.result);
  expect(late).toEqual({ result: 'timed-out', seen: 0 });
  const stale = await ask(w, { cmd: 'shared-wait', name: 'flags', index: 1, value: 0, timeout: 50 }, (r) => r.result);
  expect(stale).toEqual({ result: 'not-equal', seen: 7 });
}, 30000);

test('settings.shared and options.shared are merged; the worker closes the inherited fds and sees no internal env', async () => {
  const a = shm(4096);
  const b = shm(8192);
  const c = shm(100);
  cluster.setupPrimary({ shared: { a, b } });
  const w = cluster.fork(undefined, { shared: { b: c } });
  await once(w, 'online');
  const info = await ask(w, { cmd: 'shared-info' }, (r) => r.names);
  expect(info.names).toEqual(['a', 'b']);
  expect(info.sizes).toEqual([4096, 100]);
  expect(info.envKeys).toEqual([]);
  // The worker holds one memfd per SharedMemory: the inherited fds were closed once mapped.
  expect(info.memfds).toBe(2);
  const wBytes = await ask(w, { cmd: 'shared-write', name: 'b', offset: 10, bytes: [1, 2, 3] }, (r) => r.written);
  expect(wBytes.written).toBe(3);
  expect([...new Uint8Array(c.buffer, 10, 3)]).toEqual([1, 2, 3]);
  expect(new Uint8Array(b.buffer).every((v) => v === 0)).toBe(true);
});

test('a worker without shared memory sees an empty cluster.shared', async () => {
  const w = cluster.fork({ MODE: 'echo' });
  await once(w, 'online');
  const info = await ask(w, { cmd: 'shared-info' }, (r) => r.names);
  expect(info.names).toEqual([]);
});

test('the primary may close its SharedMemory after fork: the worker keeps the memory', async () => {
  const mine = new SharedMemory(4096);
  // `same` is the same memory, opened through the fd; `mine` is closed right after the fork.
  const same = SharedMemory.fromFd(mine.fd);
  open.push(same);
  const w = cluster.fork(undefined, { shared: { mem: mine } });
  mine.close();
  await once(w, 'online');
  await ask(w, { cmd: 'shared-add', name: 'mem', index: 0, count: 5 }, (r) => r.added);
  expect(new Int32Array(same.buffer)[0]).toBe(5);
});

test('a restarted worker gets the same memory', async () => {
  const mem = shm(4096);
  const words = new Int32Array(mem.buffer);
  const w = cluster.fork(undefined, { shared: { mem } });
  await once(w, 'online');
  await ask(w, { cmd: 'shared-add', name: 'mem', index: 0, count: 1 }, (r) => r.added);
  const restarted = once(cluster, 'restart');
  w.send({ cmd: 'exit', code: 3 });
  const [next] = await restarted;
  await once(next, 'online');
  await ask(next, { cmd: 'shared-add', name: 'mem', index: 0, count: 1 }, (r) => r.added);
  expect(Atomics.load(words, 0)).toBe(2);
});

test('a SharedMemory closed before a restart: the restart fails with ERR_INVALID_STATE on cluster "error"', async () => {
  const mem = new SharedMemory(64);
  const w = cluster.fork(undefined, { shared: { mem } });
  await once(w, 'online');
  mem.close();
  const error = once(cluster, 'error');
  w.send({ cmd: 'exit', code: 3 });
  const [err] = await error;
  expect(err.code).toBe('ERR_INVALID_STATE');
  expect(err.message).toMatch(/"mem" was closed/);
  expect(Object.keys(cluster.workers)).toEqual([]);
});

describe('bad input is refused before anything is forked', () => {
  const cases = [
    ['options not an object', () => cluster.fork(undefined, 1), 'ERR_INVALID_ARG_TYPE'],
    ['unknown option', () => cluster.fork(undefined, { share: {} }), 'ERR_INVALID_ARG_VALUE'],
    ['shared not an object', () => cluster.fork(undefined, { shared: 'x' }), 'ERR_INVALID_ARG_TYPE'],
    ['shared is null', () => cluster.fork(undefined, { shared: null }), 'ERR_INVALID_ARG_TYPE'],
    ['a SharedArrayBuffer', () => cluster.fork(undefined, { shared: { a: new SharedArrayBuffer(8) } }), 'ERR_INVALID_ARG_TYPE'],
    ['a look-alike object', () => cluster.fork(undefined, { shared: { a: { fd: 0, buffer: new ArrayBuffer(8), closed: false } } }), 'ERR_INVALID_ARG_TYPE'],
    ['a closed SharedMemory', () => {
      const s = new SharedMemory(8);
      s.close();
      cluster.fork(undefined, { shared: { a: s } });
    }, 'ERR_INVALID_STATE'],
    ['an empty name', () => cluster.fork(undefined, { shared: { '': shm(8) } }), 'ERR_INVALID_ARG_VALUE'],
    ['a name with a space', () => cluster.fork(undefined, { shared: { 'a b': shm(8) } }), 'ERR_INVALID_ARG_VALUE'],
    ['a name of 65 characters', () => cluster.fork(undefined, { shared: { ['n'.repeat(65)]: shm(8) } }), 'ERR_INVALID_ARG_VALUE'],
    ['33 entries', () => {
      const one = shm(8);
      cluster.fork(undefined, { shared: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`m${i}`, one])) });
    }, 'ERR_OUT_OF_RANGE'],
    ['settings.shared not an object', () => cluster.setupPrimary({ shared: [1] }), 'ERR_INVALID_ARG_TYPE'],
    ['settings.shared with a Buffer', () => cluster.setupPrimary({ shared: { a: Buffer.alloc(4) } }), 'ERR_INVALID_ARG_TYPE'],
    ['settings plus options over 32', () => {
      const one = shm(8);
      cluster.setupPrimary({ shared: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`s${i}`, one])) });
      cluster.fork(undefined, { shared: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`o${i}`, one])) });
    }, 'ERR_OUT_OF_RANGE'],
    ['closed after setupPrimary', () => {
      const s = new SharedMemory(8);
      cluster.setupPrimary({ shared: { s } });
      s.close();
      cluster.fork();
    }, 'ERR_INVALID_STATE'],
  ];
  test.each(cases)('%s', (_name, fn, code) => {
    let thrown;
    try {
      fn();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeDefined();
    expect(thrown.code).toBe(code);
    expect(Object.keys(cluster.workers)).toEqual([]);
  });
});

test('examples/shared-counter.js: worker processes reach the exact total and everything exits', async () => {
  const { execFile } = require('node:child_process');
  const path = require('node:path');
  const example = path.join(__dirname, '..', 'examples', 'shared-counter.js');
  const stdout = await new Promise((resolve, reject) => {
    execFile(process.execPath, [example, '--workers', '2', '--count', '50000'], { timeout: 30000 }, (err, out) => (err ? reject(err) : resolve(out)));
  });
  expect(stdout).toMatch(/^2 processes added 100000 \(expected 100000\) in \d+ ms$/m);
});
