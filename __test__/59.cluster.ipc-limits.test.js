'use strict';

// IPC at its limits: raw Buffer frames (`{ raw: true }`), message sizes at every boundary of
// the framing and of the channel's buffers, order under load with raw and serialized messages
// interleaved, backpressure with a worker whose event loop is stalled, and a worker killed in
// the middle of a frame. The frame decoder itself is property-tested in Rust
// (src/cluster/frame_tests.rs).
const path = require('node:path');
const { cluster, SharedMemory } = require('..');
const { useCluster, once, waitFor } = require('./helpers/cluster');
const { HEADER, STAGE, DIRECT, BACKLOG, MAX_PAYLOAD } = require('../lib/cluster/channel');

const IPC_WORKER = path.join(__dirname, 'fixtures', 'cluster', 'ipc-worker.js');
const { fork } = useCluster(cluster, { exec: IPC_WORKER, serialization: 'advanced', shared: {}, restart: false });
const open = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

/** Resolves with the next message of `w` for which `pick` is truthy. */
function next(w, pick = () => true) {
  return new Promise((resolve) => {
    const on = (m) => {
      if (!pick(m)) return;
      w.off('message', on);
      resolve(m);
    };
    w.on('message', on);
  });
}

const report = async (w) => {
  const got = next(w, (m) => !Buffer.isBuffer(m) && m.received !== undefined);
  w.send({ cmd: 'report' });
  return got;
};

describe('raw frames ({ raw: true })', () => {
  test('a Buffer, a typed array and a DataView arrive as Buffers with the same bytes', async () => {
    const w = fork({ ECHO: '1' });
    const u16 = new Uint16Array([1, 2, 65535]);
    const dv = new DataView(new ArrayBuffer(8), 2, 4);
    dv.setUint32(0, 0xdeadbeef);
    for (const view of [Buffer.from('hello'), u16, dv, new Uint8Array(new ArrayBuffer(16), 4, 3).fill(9)]) {
      const got = next(w);
      expect(w.send(view, undefined, { raw: true })).toBe(true);
      const back = await got;
      expect(Buffer.isBuffer(back)).toBe(true);
      expect(back.equals(Buffer.from(view.buffer, view.byteOffset, view.byteLength))).toBe(true);
    }
  });

  test('the bytes are taken at send(): changing the Buffer afterwards changes nothing', async () => {
    const w = fork({ ECHO: '1' });
    for (const size of [64, DIRECT + 1]) {
      const b = Buffer.alloc(size, 1);
      const got = next(w);
      w.send(b, undefined, { raw: true });
      b.fill(2);
      expect((await got).equals(Buffer.alloc(size, 1))).toBe(true);
    }
  });

  test('without the option a Buffer is serialized as node:cluster does; bad options are refused', async () => {
    const w = fork({ ECHO: '1' });
    const got = next(w);
    w.send({ cmd: 'raw-sizes', sizes: [3] });
    expect(await got).toEqual(Buffer.alloc(3, 3));
    expect(() => w.send({ a: 1 }, undefined, { raw: true })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => w.send(Buffer.from('x'), undefined, { raw: 'yes' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => w.send(Buffer.alloc(MAX_PAYLOAD + 1), undefined, { raw: true })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    // An advanced-serialized Buffer and a raw one look the same to the receiver.
    const plain = next(w);
    w.send(Buffer.from('plain'));
    expect(await plain).toEqual(Buffer.from('plain'));
    expect(w.isConnected()).toBe(true);
  });
});

test('sizes at every boundary arrive whole, both ways', async () => {
  const w = fork({ ECHO: '1' });
  const sizes = [0, 1, HEADER - 1, HEADER, HEADER + 1, DIRECT - 1, DIRECT, DIRECT + 1, STAGE - HEADER - 1, STAGE - HEADER, STAGE - 1, STAGE, STAGE + 1, 2 * STAGE + 3];
  const got = [];
  const done = new Promise((resolve) => {
    w.on('message', (m) => {
      got.push(m);
      if (got.length === sizes.length) resolve();
    });
  });
  // All in one tick, so they share staging buffers and reads.
  for (const size of sizes) w.send(Buffer.alloc(size, size & 0xff), undefined, { raw: true });
  await done;
  expect(got.map((b) => b.length)).toEqual(sizes);
  for (const b of got) expect(b.equals(Buffer.alloc(b.length, b.length & 0xff))).toBe(true);
  // Worker to primary, also in one tick.
  const back = [];
  const backDone = new Promise((resolve) => {
    w.removeAllListeners('message');
    w.on('message', (m) => {
      back.push(m.length);
      if (back.length === sizes.length) resolve();
    });
  });
  w.send({ cmd: 'raw-sizes', sizes });
  await backDone;
  expect(back).toEqual(sizes);
});

test('the 256 MiB limit: exactly the limit arrives, one byte more is refused at send()', async () => {
  const w = fork();
  const big = Buffer.allocUnsafe(MAX_PAYLOAD);
  big.writeUInt32LE(0, 0);
  big[big.length - 1] = 7;
  w.send(big, undefined, { raw: true });
  expect(await report(w)).toEqual({ received: 1, bytes: MAX_PAYLOAD, inOrder: true });
  expect(() => w.send(Buffer.allocUnsafe(MAX_PAYLOAD + 1), undefined, { raw: true })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
}, 60000);

test('order is kept under load with raw and serialized messages interleaved', async () => {
  const w = fork({ ECHO: '1' });
  const count = 20000;
  const got = [];
  let sent = 0;
  // 100 in flight: raw frames (even numbers) and serialized objects (odd ones) take turns.
  const sendOne = () => {
    if (sent % 2 === 0) {
      const b = Buffer.alloc(4 + (sent % 700));
      b.writeUInt32LE(sent, 0);
      w.send(b, undefined, { raw: true });
    } else w.send({ seq: sent, pad: 'y'.repeat(sent % 300) });
    sent++;
  };
  const done = new Promise((resolve) => {
    w.on('message', (m) => {
      got.push(Buffer.isBuffer(m) ? m.readUInt32LE(0) : m.seq);
      if (got.length === count) resolve();
      else if (sent < count) sendOne();
    });
  });
  while (sent < 100) sendOne();
  await done;
  expect(got).toEqual(Array.from({ length: count }, (_, i) => i));
}, 90000);

test('a stalled worker: send() turns false past the backlog, the queue stays bounded, nothing is lost', async () => {
  const gate = new SharedMemory(64);
  open.push(gate);
  const w = cluster.fork(undefined, { shared: { gate } });
  await once(w, 'online');
  const stalling = next(w, (m) => m.stalling);
  w.send({ cmd: 'stall' });
  await stalling;
  // The worker's loop is blocked: nothing is read. Send 1 KiB frames until send() says stop;
  // a channel without backpressure would go on until the bound of this loop.
  const frame = Buffer.alloc(1024);
  let sent = 0;
  let more = true;
  while (more && sent < 64 * 1024) {
    frame.writeUInt32LE(sent, 0);
    more = w.send(frame, undefined, { raw: true });
    sent++;
  }
  expect(more).toBe(false);
  // Queued in this process: the backlog and at most one frame more, not the whole stream.
  const pending = w.process.channel.pendingBytes;
  expect(pending).toBeGreaterThanOrEqual(BACKLOG);
  expect(pending).toBeLessThan(BACKLOG + HEADER + frame.length);
  // Release the worker: everything arrives, in order, and the queue empties.
  const resumed = next(w, (m) => m.stalled === false);
  new Int32Array(gate.buffer)[0] = 1;
  gate.notify(0);
  await resumed;
  expect(await report(w)).toEqual({ received: sent, bytes: sent * frame.length, inOrder: true });
  expect(w.process.channel.pendingBytes).toBe(0);
  expect(w.send(frame, undefined, { raw: true })).toBe(true);
}, 60000);

test('a worker killed in the middle of a frame: that channel closes with ERR_INVALID_FRAME, the cluster goes on', async () => {
  const w = fork();
  const other = fork({ ECHO: '1' });
  await Promise.all([once(w, 'online'), once(other, 'online')]);
  const errors = [];
  w.on('error', (e) => errors.push(e));
  const exited = once(w, 'exit');
  w.send({ cmd: 'die-mid-frame', length: 4096 });
  const [, signal] = await exited;
  expect(signal).toBe('SIGKILL');
  await waitFor(() => errors.length > 0, 10000, 'the error event');
  expect(errors.map((e) => e.code)).toEqual(['ERR_INVALID_FRAME']);
  expect(errors[0].message).toMatch(/ended inside a frame/);
  const got = next(other);
  other.send(Buffer.from('still here'), undefined, { raw: true });
  expect(String(await got)).toBe('still here');
});
