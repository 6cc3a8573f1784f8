'use strict';

// Lifecycle of the native cluster: events and their order, fork env, setupPrimary semantics,
// the worker side's view. Modelled on Node's test-cluster-worker-events, -fork-env,
// -setup-primary*, -worker-isconnected.
const os = require('node:os');
const path = require('node:path');
const { cluster } = require('..');
const { WORKER, once, waitFor, isDead, shutdownAndCheck } = require('./helpers/cluster');

const pids = [];
const track = (w) => {
  pids.push(w.process.pid);
  return w;
};

beforeEach(() => {
  cluster.removeAllListeners();
  cluster.setupPrimary({
    exec: WORKER,
    execArgv: [],
    args: [],
    env: {},
    cwd: process.cwd(),
    balance: 'reuseport',
    serialization: 'advanced',
    silent: false,
    restart: {},
  });
});

afterEach(async () => {
  cluster.removeAllListeners();
  await shutdownAndCheck(cluster, pids.splice(0));
});

test('the primary sees itself as primary', () => {
  expect(cluster.isPrimary).toBe(true);
  expect(cluster.isMaster).toBe(true);
  expect(cluster.isWorker).toBe(false);
  expect(cluster.worker).toBeUndefined();
});

test('events come in order: fork, online, listening, disconnect, exit', async () => {
  const seen = [];
  for (const event of ['fork', 'online', 'listening', 'disconnect', 'exit']) {
    cluster.on(event, (w) => seen.push(`cluster:${event}:${w.id}`));
  }
  const worker = track(cluster.fork({ MODE: 'http' }));
  for (const event of ['online', 'listening', 'disconnect', 'exit']) worker.on(event, () => seen.push(`worker:${event}`));
  const [address] = await once(worker, 'listening');
  expect(address).toMatchObject({ address: '127.0.0.1', addressType: 4 });
  expect(address.port).toBeGreaterThan(0);
  expect(worker.state).toBe('listening');
  expect(cluster.workers[worker.id]).toBe(worker);
  worker.disconnect();
  const [code, signal] = await once(worker, 'exit');
  expect([code, signal]).toEqual([0, null]);
  expect(seen).toEqual([
    `cluster:fork:${worker.id}`,
    'worker:online',
    `cluster:online:${worker.id}`,
    'worker:listening',
    `cluster:listening:${worker.id}`,
    'worker:disconnect',
    `cluster:disconnect:${worker.id}`,
    'worker:exit',
    `cluster:exit:${worker.id}`,
  ]);
  expect(worker.exitedAfterDisconnect).toBe(true);
  expect(worker.isDead()).toBe(true);
  expect(worker.isConnected()).toBe(false);
  expect(worker.state).toBe('dead');
  expect(cluster.workers[worker.id]).toBeUndefined();
});

test('workers get increasing ids, a pid, and the fork env on top of process.env', async () => {
  process.env.NP_FROM_PARENT = 'parent';
  try {
    cluster.setupPrimary({ env: { NP_FROM_SETTINGS: 'settings', NP_OVERRIDE: 'settings' } });
    const a = track(cluster.fork({ NP_EXTRA: 'a', NP_OVERRIDE: 'fork', NP_NUMBER: 7 }));
    const b = track(cluster.fork());
    expect(b.id).toBe(a.id + 1);
    expect(a.pid).toBe(a.process.pid);
    a.send({ cmd: 'info' });
    const [info] = await once(a, 'message');
    expect(info.pid).toBe(a.pid);
    expect(info.id).toBe(a.id);
    expect(info.env).toMatchObject({ NP_FROM_PARENT: 'parent', NP_FROM_SETTINGS: 'settings', NP_OVERRIDE: 'fork', NP_EXTRA: 'a', NP_NUMBER: '7' });
    // The channel's plumbing is removed from the worker's env (its own children must not see it).
    expect(Object.keys(info.env).filter((k) => k.startsWith('NATIVE_PARALLEL_'))).toEqual([]);
    expect(info.isWorker).toBe(true);
    expect(info.isPrimary).toBe(false);
    b.send({ cmd: 'info' });
    const [infoB] = await once(b, 'message');
    expect(infoB.env.NP_EXTRA).toBeUndefined();
    expect(infoB.id).toBe(b.id);
  } finally {
    delete process.env.NP_FROM_PARENT;
  }
});

test('setupPrimary merges settings, emits setup, and applies exec, args, execArgv and cwd', async () => {
  const setups = [];
  cluster.on('setup', (s) => setups.push(s));
  cluster.setupPrimary({ args: ['--flag', 'value'] });
  cluster.setupPrimary({ execArgv: ['--no-warnings'], cwd: os.tmpdir() });
  await new Promise((r) => setImmediate(r));
  setups.length = 0;
  cluster.setupPrimary({ args: ['--flag', 'value'] });
  cluster.setupPrimary({ execArgv: ['--no-warnings'], cwd: os.tmpdir() });
  await new Promise((r) => setImmediate(r));
  expect(setups.length).toBe(2);
  // node:cluster's fields only; the native extras live in nativeSettings.
  expect(cluster.settings).toEqual({
    exec: WORKER,
    args: ['--flag', 'value'],
    execArgv: ['--no-warnings'],
    cwd: os.tmpdir(),
    serialization: 'advanced',
    silent: false,
  });
  expect(cluster.nativeSettings).toMatchObject({
    balance: 'reuseport',
    restart: { maxRestarts: 10, windowMs: 60000, backoffMs: 100 },
    shutdownTimeoutMs: 10000,
  });
  const w = track(cluster.fork());
  w.send({ cmd: 'info' });
  const [info] = await once(w, 'message');
  expect(info.argv).toEqual(['--flag', 'value']);
  // As in node:cluster, the worker sees exactly the execArgv it was given (the preload is hidden).
  expect(info.execArgv).toEqual(['--no-warnings']);
  expect(info.cwd).toBe(os.tmpdir());
});

test('changing settings affects only workers forked afterwards', async () => {
  const a = track(cluster.fork());
  cluster.setupPrimary({ args: ['later'] });
  const b = track(cluster.fork());
  a.send({ cmd: 'info' });
  b.send({ cmd: 'info' });
  const [[ia], [ib]] = await Promise.all([once(a, 'message'), once(b, 'message')]);
  expect(ia.argv).toEqual([]);
  expect(ib.argv).toEqual(['later']);
});

test('a worker whose channel is unref()ed exits by itself with code 0 and is not restarted', async () => {
  const restarts = [];
  cluster.on('restart', (w) => restarts.push(w));
  const w = track(cluster.fork({ MODE: 'quiet' }));
  const [code, signal] = await once(w, 'exit');
  expect([code, signal]).toEqual([0, null]);
  expect(w.exitedAfterDisconnect).toBe(false);
  await new Promise((r) => setTimeout(r, 300));
  expect(restarts).toEqual([]);
  expect(Object.keys(cluster.workers)).toEqual([]);
});

test('silent workers pipe stdout to worker.process.stdout', async () => {
  cluster.setupPrimary({ silent: true });
  const w = track(cluster.fork());
  let out = '';
  w.process.stdout.setEncoding('utf8');
  w.process.stdout.on('data', (d) => (out += d));
  w.send({ cmd: 'print', text: 'hello from the worker\n' });
  await waitFor(() => out.includes('hello from the worker'), 10000, 'stdout');
  expect(w.process.stderr).not.toBeNull();
});

test('fork with a cwd that does not exist throws ENOENT and starts nothing', () => {
  cluster.setupPrimary({ cwd: '/definitely/not/a/dir' });
  let err;
  try {
    cluster.fork();
  } catch (e) {
    err = e;
  }
  expect(err).toMatchObject({ code: 'ENOENT', syscall: 'spawn' });
  expect(err.message).toMatch(/chdir/);
  expect(Object.keys(cluster.workers)).toEqual([]);
});

test('worker.process.exitCode and signalCode reflect how it ended', async () => {
  cluster.setupPrimary({ restart: false });
  const w = track(cluster.fork({ MODE: 'crash', CODE: '3' }));
  await once(w, 'exit');
  expect(w.process.exitCode).toBe(3);
  expect(w.process.signalCode).toBeNull();
  await waitFor(() => isDead(w.pid), 2000);
});
