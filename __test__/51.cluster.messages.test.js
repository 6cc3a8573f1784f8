'use strict';

// IPC: messages both ways, order, size, advanced and JSON serialization, bad messages, and
// malformed frames (which end that worker's channel with an error, never the primary).
// Modelled on Node's test-cluster-message, -send-deadlock, -advanced-serialization.
const { types } = require('node:util');
const { cluster } = require('..');
const { useCluster, once, waitFor } = require('./helpers/cluster');

const { fork } = useCluster(cluster, { serialization: 'advanced', restart: false });
const reply = async (w, msg) => {
  const got = once(w, 'message');
  w.send(msg);
  return (await got)[0];
};



test('messages go both ways and reach both the worker and the cluster listeners', async () => {
  const w = fork();
  const fromCluster = [];
  cluster.on('message', (worker, msg) => fromCluster.push([worker.id, msg]));
  expect(await reply(w, { hello: 'worker' })).toEqual({ hello: 'worker' });
  expect(fromCluster).toEqual([[w.id, { hello: 'worker' }]]);
});

test('advanced serialization keeps Maps, Sets, Buffers, Dates, BigInts and circular objects', async () => {
  const w = fork();
  const circular = { name: 'loop', list: [1, 2] };
  circular.self = circular;
  const msg = {
    map: new Map([['a', 1], [2, { deep: true }]]),
    set: new Set(['x', 'y']),
    buffer: Buffer.from('bytes'),
    typed: new Float64Array([1.5, -0]),
    date: new Date(1700000000000),
    big: 12345678901234567890n,
    regexp: /ab+c/gi,
    circular,
    undef: undefined,
  };
  const back = await reply(w, msg);
  // (Jest runs tests in their own realm: check kinds with util.types, not instanceof.)
  expect(types.isMap(back.map)).toBe(true);
  expect(types.isSet(back.set)).toBe(true);
  expect(types.isDate(back.date)).toBe(true);
  expect([...back.map]).toEqual([['a', 1], [2, { deep: true }]]);
  expect([...back.set]).toEqual(['x', 'y']);
  expect(Buffer.from(back.buffer).toString()).toBe('bytes');
  expect(Array.from(back.typed)).toEqual([1.5, -0]);
  expect(back.date.getTime()).toBe(1700000000000);
  expect(back.big).toBe(12345678901234567890n);
  expect(String(back.regexp)).toBe('/ab+c/gi');
  expect(back.circular.self).toBe(back.circular);
  expect('undef' in back).toBe(true);
});

test('order is kept in both directions for thousands of messages', async () => {
  const w = fork();
  const count = 5000;
  const got = [];
  const done = new Promise((resolve) => {
    w.on('message', (m) => {
      got.push(m.seq);
      if (got.length === count) resolve();
    });
  });
  for (let i = 0; i < count; i++) w.send({ seq: i, pad: 'x'.repeat(i % 300) });
  await done;
  expect(got).toEqual(Array.from({ length: count }, (_, i) => i));
  // Worker to primary in a burst.
  const burst = [];
  const burstDone = new Promise((resolve) => {
    const on = (m) => {
      burst.push(m.seq);
      if (burst.length === count) {
        w.off('message', on);
        resolve();
      }
    };
    w.removeAllListeners('message');
    w.on('message', on);
  });
  w.send({ cmd: 'burst', count });
  await burstDone;
  expect(burst).toEqual(Array.from({ length: count }, (_, i) => i));
});

test('frames that arrive a byte or three at a time are put back together', async () => {
  const w = fork();
  await reply(w, 'ready');
  const values = [{ a: 1 }, 'second', [1, 2, 3], { deep: { list: ['x'.repeat(40)] } }];
  const got = [];
  const done = new Promise((resolve) => {
    w.on('message', (m) => {
      got.push(m);
      if (got.length === values.length) resolve();
    });
  });
  w.send({ cmd: 'dribble', values });
  await done;
  expect(got).toEqual(values);
  expect(w.isConnected()).toBe(true);
});

test('a 64 MiB message arrives whole, both ways', async () => {
  const w = fork();
  const big = Buffer.alloc(64 * 1024 * 1024, 7);
  big[big.length - 1] = 9;
  expect(await reply(w, { cmd: 'size', data: big })).toEqual({ bytes: big.length });
  const echoed = await reply(w, big);
  expect(echoed.length).toBe(big.length);
  expect(echoed[0]).toBe(7);
  expect(echoed[echoed.length - 1]).toBe(9);
});

test("serialization: 'json' sends JSON (Maps become {}) and rejects what JSON cannot say", async () => {
  cluster.setupPrimary({ serialization: 'json' });
  const w = fork();
  expect(await reply(w, { a: [1, 'two', null], nested: { ok: true } })).toEqual({ a: [1, 'two', null], nested: { ok: true } });
  expect(await reply(w, { map: new Map([[1, 2]]) })).toEqual({ map: {} });
  const circular = {};
  circular.self = circular;
  expect(() => w.send(circular)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', name: 'TypeError' }));
  expect(() => w.send({ n: 1n })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  // A function itself is refused by type, as node's process.send does.
  expect(() => w.send(() => 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  // The channel still works after refused messages.
  expect(await reply(w, 'still here')).toBe('still here');
});

test('functions, symbols and other values v8 cannot clone are refused with a clear error', async () => {
  const w = fork();
  // Functions and symbols are refused by type, as node's process.send does.
  for (const bad of [() => 1, Symbol('s')]) {
    expect(() => w.send(bad)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
  }
  for (const bad of [{ f() {} }, { s: Symbol('t') }, new WeakMap(), Promise.resolve()]) {
    let err;
    try {
      w.send(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    expect(err.message).toMatch(/The argument 'message' cannot be serialized/);
  }
  expect(() => w.send()).toThrow(expect.objectContaining({ code: 'ERR_MISSING_ARGS' }));
  // The second argument is a handle, as in child_process.
  expect(() => w.send('x', 'not a handle')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_HANDLE_TYPE' }));
  expect(await reply(w, 'fine')).toBe('fine');
});

test('send callbacks run once written; after disconnect they get ERR_IPC_CHANNEL_CLOSED', async () => {
  const w = fork();
  await new Promise((resolve, reject) => w.send('a', (err) => (err ? reject(err) : resolve())));
  w.disconnect();
  await once(w, 'disconnect');
  const err = await new Promise((resolve) => w.send('late', resolve));
  expect(err).toMatchObject({ code: 'ERR_IPC_CHANNEL_CLOSED' });
  const emitted = once(w, 'error');
  expect(w.send('late again')).toBe(false);
  expect((await emitted)[0]).toMatchObject({ code: 'ERR_IPC_CHANNEL_CLOSED' });
});

describe('malformed frames end that worker channel with ERR_INVALID_FRAME', () => {
  const cases = {
    'an unknown frame kind': '0000000109ff',
    'a length beyond the limit': 'ffffffff00',
    'a payload v8 cannot read': '0000000300ffffff',
    'a stream that ends inside a frame': '0000010000abcd',
  };
  for (const [what, hex] of Object.entries(cases)) {
    test(what, async () => {
      const w = fork();
      const other = fork();
      const errors = [];
      w.on('error', (e) => errors.push(e));
      await reply(w, 'ready');
      w.send({ cmd: 'garbage', hex });
      if (what.includes('ends inside')) {
        // The worker exits right after writing half a frame.
        w.send({ cmd: 'exit', code: 0 });
      }
      await once(w, 'disconnect');
      await waitFor(() => errors.length > 0, 5000, 'the error event');
      expect(errors[0]).toMatchObject({ code: 'ERR_INVALID_FRAME', workerId: w.id });
      expect(w.isConnected()).toBe(false);
      // The primary and the other worker are fine.
      expect(await reply(other, 'unaffected')).toBe('unaffected');
    });
  }

  test('without an error listener the error becomes a process warning, not a crash', async () => {
    const w = fork();
    await reply(w, 'ready');
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const exited = once(w, 'exit');
      w.send({ cmd: 'garbage', hex: '00000001077f' });
      await exited;
      await waitFor(() => warn.mock.calls.length > 0, 5000, 'the warning');
      expect(warn.mock.calls[0][0]).toMatch(/Invalid IPC frame/);
      expect(warn.mock.calls[0][1]).toMatchObject({ code: 'ERR_INVALID_FRAME' });
    } finally {
      warn.mockRestore();
    }
  });
});
