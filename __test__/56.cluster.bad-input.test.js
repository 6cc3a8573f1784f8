'use strict';

// Bad settings and arguments are refused before anything is forked, with Node-style codes and
// messages that name the field.
const http = require('node:http');
const { cluster } = require('..');
const { WORKER, once, shutdownAndCheck } = require('./helpers/cluster');

const pids = [];

beforeEach(() => {
  cluster.removeAllListeners();
  cluster.setupPrimary({ exec: WORKER, execArgv: [], args: [], env: {}, restart: false });
});

afterEach(async () => {
  await shutdownAndCheck(cluster, pids.splice(0));
});

const refuses = (fn, code, name, field) => {
  let err;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeDefined();
  expect(err.code).toBe(code);
  expect(err.name).toBe(name);
  if (field) expect(err.message).toContain(field);
};

test.each([
  ['x', 'ERR_INVALID_ARG_TYPE', 'TypeError', 'settings'],
  [{ exec: 5 }, 'ERR_INVALID_ARG_TYPE', 'TypeError', 'settings.exec'],
  [{ exec: '' }, 'ERR_INVALID_ARG_VALUE', 'TypeError', 'settings.exec'],
  [{ exec: 'a\0b' }, 'ERR_INVALID_ARG_VALUE', 'TypeError', 'settings.exec'],
  [{ args: 'no' }, 'ERR_INVALID_ARG_TYPE', 'TypeError', 'settings.args'],
  [{ args: [1] }, 'ERR_INVALID_ARG_TYPE', 'TypeError', 'settings.args[0]'],
  [{ execArgv: [null] }, 'ERR_INVALID_ARG_TYPE', 'TypeError', 'settings.execArgv[0]'],
  [{ env: [] }, 'ERR_INVALID_ARG_TYPE', 'TypeError', 'settings.env'],
  [{ env: { A: {} } }, 'ERR_INVALID_ARG_TYPE', 'TypeError', 'settings.env.A'],
  [{ env: { 'A=B': '1' } }, 'ERR_INVALID_ARG_VALUE', 'TypeError', 'settings.env'],
  [{ cwd: 1 }, 'ERR_INVALID_ARG_TYPE', 'TypeError', 'settings.cwd'],
  [{ silent: 'yes' }, 'ERR_INVALID_ARG_TYPE', 'TypeError', 'settings.silent'],
  [{ balance: 'round-robin' }, 'ERR_INVALID_ARG_VALUE', 'TypeError', 'settings.balance'],
  [{ serialization: 'binary' }, 'ERR_INVALID_ARG_VALUE', 'TypeError', 'settings.serialization'],
  [{ restart: true }, 'ERR_INVALID_ARG_TYPE', 'TypeError', 'settings.restart'],
  [{ restart: { maxRestarts: -1 } }, 'ERR_OUT_OF_RANGE', 'RangeError', 'settings.restart.maxRestarts'],
  [{ restart: { windowMs: 0 } }, 'ERR_OUT_OF_RANGE', 'RangeError', 'settings.restart.windowMs'],
  [{ restart: { backoffMs: 1.5 } }, 'ERR_OUT_OF_RANGE', 'RangeError', 'settings.restart.backoffMs'],
  [{ restart: { retries: 3 } }, 'ERR_INVALID_ARG_VALUE', 'TypeError', 'settings.restart.retries'],
  [{ shutdownTimeoutMs: -5 }, 'ERR_OUT_OF_RANGE', 'RangeError', 'settings.shutdownTimeoutMs'],
  [{ shutdownTimeoutMs: '10' }, 'ERR_INVALID_ARG_TYPE', 'TypeError', 'settings.shutdownTimeoutMs'],
  [{ handleSignals: 1 }, 'ERR_INVALID_ARG_TYPE', 'TypeError', 'settings.handleSignals'],
  [{ nonsense: 1 }, 'ERR_INVALID_ARG_VALUE', 'TypeError', 'settings.nonsense'],
  [{ stdio: 'pipe' }, 'ERR_FEATURE_UNAVAILABLE', 'Error', 'settings.stdio'],
  [{ uid: 1000 }, 'ERR_FEATURE_UNAVAILABLE', 'Error', 'settings.uid'],
  [{ gid: 1000 }, 'ERR_FEATURE_UNAVAILABLE', 'Error', 'settings.gid'],
])('setupPrimary(%p) throws %s', (settings, code, name, field) => {
  const before = { ...cluster.settings };
  refuses(() => cluster.setupPrimary(settings), code, name, field);
  // A refused call changes nothing.
  expect(cluster.settings).toEqual(before);
});

test.each([
  [{ KEY: Symbol('s') }, 'ERR_INVALID_ARG_TYPE'],
  [['a', Symbol('s')], 'ERR_INVALID_ARG_TYPE'],
  [{ KEY: 'a\0b' }, 'ERR_INVALID_ARG_VALUE'],
  [{ '': 'empty' }, 'ERR_INVALID_ARG_VALUE'],
])('fork(%p) throws %s and starts nothing', (env, code) => {
  refuses(() => cluster.fork(env), code, 'TypeError', 'env');
  expect(Object.keys(cluster.workers)).toEqual([]);
});

test('setupPrimary(null) is setupPrimary(), as in node:cluster', () => {
  expect(() => cluster.setupPrimary(null)).not.toThrow();
});

test('fork() without an exec script says what to set', () => {
  const { Primary } = require('../lib/cluster/primary');
  const fresh = new Primary();
  fresh.setupPrimary({ exec: WORKER });
  fresh.settings.exec = undefined;
  refuses(() => fresh.fork(), 'ERR_INVALID_ARG_VALUE', 'TypeError', 'settings.exec');
});

test('balance cannot change while workers run', async () => {
  const w = cluster.fork();
  pids.push(w.process.pid);
  await once(w, 'online');
  const other = cluster.settings.balance === 'shared' ? 'reuseport' : 'shared';
  refuses(() => cluster.setupPrimary({ balance: other }), 'ERR_INVALID_STATE', 'Error');
});

test('kill() with an unknown signal throws', async () => {
  const w = cluster.fork();
  pids.push(w.process.pid);
  await once(w, 'online');
  // As ChildProcess#kill: anything that is not a signal is ERR_UNKNOWN_SIGNAL.
  refuses(() => w.kill('SIGNOPE'), 'ERR_UNKNOWN_SIGNAL', 'TypeError', 'SIGNOPE');
  refuses(() => w.kill({}), 'ERR_UNKNOWN_SIGNAL', 'TypeError');
  refuses(() => w.process.kill(99), 'ERR_UNKNOWN_SIGNAL', 'TypeError', '99');
  expect(w.isDead()).toBe(false);
});

test('the worker-only and primary-only calls refuse the wrong side', async () => {
  const { WorkerCluster } = require('../lib/cluster/worker');
  const fake = new WorkerCluster({});
  refuses(() => fake.fork(), 'ERR_INVALID_STATE', 'Error');
  refuses(() => fake.setupPrimary({}), 'ERR_INVALID_STATE', 'Error');
  await expect(fake.reload()).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
  await expect(fake.shutdown()).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
});

describe('cluster.listen arguments', () => {
  const server = http.createServer();

  test.each([
    [null, {}, 'ERR_INVALID_ARG_TYPE', 'server'],
    [{}, {}, 'ERR_INVALID_ARG_TYPE', 'server'],
    [server, 'x', 'ERR_INVALID_ARG_TYPE', 'options'],
    [server, { port: -1 }, 'ERR_OUT_OF_RANGE', 'options.port'],
    [server, { port: 65536 }, 'ERR_OUT_OF_RANGE', 'options.port'],
    [server, { port: '80' }, 'ERR_INVALID_ARG_TYPE', 'options.port'],
    [server, { host: 5 }, 'ERR_INVALID_ARG_TYPE', 'options.host'],
    [server, { host: '' }, 'ERR_INVALID_ARG_VALUE', 'options.host'],
    [server, { backlog: 0 }, 'ERR_OUT_OF_RANGE', 'options.backlog'],
    [server, { path: '/tmp/x.sock' }, 'ERR_INVALID_ARG_VALUE', 'options.path'],
  ])('listen(%#) throws %s', (srv, options, code, field) => {
    let err;
    try {
      cluster.listen(srv, options);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code });
    expect(err.message).toContain(field);
    expect(server.listening).toBe(false);
  });

  test('in a process that is not a worker, listen() is a plain server.listen', async () => {
    const plain = http.createServer((req, res) => res.end('plain'));
    const listening = once(plain, 'listening');
    expect(cluster.listen(plain, { port: 0, host: '127.0.0.1' })).toBe(plain);
    await listening;
    expect(plain.address()).toMatchObject({ address: '127.0.0.1' });
    await new Promise((r) => plain.close(r));
  });
});
