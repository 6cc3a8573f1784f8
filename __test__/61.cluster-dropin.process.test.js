'use strict';

// The process side of the drop-in: NODE_UNIQUE_ID, process.channel keeping a worker alive as
// node's does, handles sent from a worker, no restart by default, Node's error codes.
// Modelled on node's test-cluster-worker-no-exit, -fork-env, -send-handle-twice, -worker-kill.
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { cluster } = require('..');
const { useCluster, once, waitFor } = require('./helpers/cluster');

const DROPIN = path.join(__dirname, 'fixtures', 'cluster', 'dropin-worker.js');
const { fork } = useCluster(cluster, { exec: DROPIN });

const refuses = (fn, code) => {
  let err;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toMatchObject({ code });
};

test('a worker starts with NODE_UNIQUE_ID set to its id, as node:cluster workers do (node removes it before user code)', async () => {
  const w = fork({ MODE: 'none' });
  await once(w, 'online');
  const environ = fs.readFileSync(`/proc/${w.process.pid}/environ`, 'utf8').split('\0');
  expect(environ).toContain(`NODE_UNIQUE_ID=${w.id}`);
});

test('a worker with nothing to do stays alive (its channel is referenced) until it is told to go', async () => {
  const w = fork({ MODE: 'none' });
  await once(w, 'online');
  await new Promise((r) => setTimeout(r, 300));
  expect(w.isDead()).toBe(false);
  const echoed = new Promise((resolve) => w.process.once('message', resolve));
  w.send('kill yourself');
  const [code, signal] = await once(w, 'exit');
  expect(await Promise.race([echoed, 'no message'])).toBe('no message');
  expect([code, signal, w.exitedAfterDisconnect]).toEqual([0, null, true]);
});

test('no automatic restart unless restart is given (node:cluster never restarts)', async () => {
  let restarts = 0;
  cluster.on('restart', () => restarts++);
  const w = fork({ MODE: 'none' });
  await once(w, 'online');
  process.kill(w.process.pid, 'SIGKILL');
  const [code, signal] = await once(w, 'exit');
  expect([code, signal]).toEqual([null, 'SIGKILL']);
  await new Promise((r) => setTimeout(r, 300));
  expect(restarts).toBe(0);
  expect(cluster.workers).toEqual({});
  expect(cluster.nativeSettings.restart).toBe(false);
});

test('process.disconnect() in a worker: the primary sees disconnect then exit, exitedAfterDisconnect false', async () => {
  const w = fork({ MODE: 'none' });
  await once(w, 'online');
  const seen = [];
  w.on('disconnect', () => seen.push(['disconnect', w.exitedAfterDisconnect]));
  w.on('exit', (code) => seen.push(['exit', code]));
  w.send('disconnect yourself');
  await once(w, 'exit');
  expect(seen).toEqual([
    ['disconnect', false],
    ['exit', 0],
  ]);
});

test('worker.process.disconnect() closes the channel; the worker exits', async () => {
  const w = fork({ MODE: 'none' });
  await once(w, 'online');
  w.process.disconnect();
  expect(w.process.connected).toBe(false);
  const [code] = await once(w, 'exit');
  expect(code).toBe(0);
  // As a ChildProcess's errors, it reaches the worker object too.
  const errors = [];
  w.on('error', (e) => errors.push(e.code));
  w.process.disconnect();
  expect(errors).toEqual(['ERR_IPC_DISCONNECTED']);
});

test('a socket sent by the primary, then by the worker back with process.send(msg, socket)', async () => {
  const bounce = path.join(__dirname, 'fixtures', 'cluster', 'bounce-worker.js');
  cluster.setupPrimary({ exec: bounce });
  const w = fork();
  await once(w, 'online');
  const got = new Promise((resolve) => w.once('message', (m, handle) => resolve([m, handle])));
  const server = net.createServer((s) => w.send('hold', s));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const client = net.connect(server.address().port, '127.0.0.1');
    let body = '';
    client.setEncoding('utf8');
    client.on('data', (d) => (body += d));
    const [m, handle] = await got;
    expect(m).toBe('back');
    handle.end('from the primary again');
    await once(client, 'end');
    expect(body).toBe(`worker ${w.process.pid} saw it; from the primary again`);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test("bad arguments give node's error codes", async () => {
  const w = fork({ MODE: 'none' });
  await once(w, 'online');
  refuses(() => w.send(), 'ERR_MISSING_ARGS');
  refuses(() => w.send(Symbol('s')), 'ERR_INVALID_ARG_TYPE');
  refuses(() => w.send(() => 1), 'ERR_INVALID_ARG_TYPE');
  refuses(() => w.send('x', {}), 'ERR_INVALID_HANDLE_TYPE');
  refuses(() => w.send('x', undefined, 'options'), 'ERR_INVALID_ARG_TYPE');
  refuses(() => w.kill('SIGNOPE'), 'ERR_UNKNOWN_SIGNAL');
  refuses(() => w.process.kill(1000), 'ERR_UNKNOWN_SIGNAL');
  refuses(() => cluster.setupPrimary({ stdio: ['pipe', 'pipe', 'pipe', 'ipc'] }), 'ERR_FEATURE_UNAVAILABLE');
  refuses(() => cluster.setupPrimary({ uid: 0 }), 'ERR_FEATURE_UNAVAILABLE');
  await waitFor(() => w.isConnected(), 1000, 'the worker to stay connected');
});
