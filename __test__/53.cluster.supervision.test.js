'use strict';

// kill / disconnect / exitedAfterDisconnect, restart with growing backoff and the restart
// limit, shutdown of a worker that ignores SIGTERM. Modelled on Node's
// test-cluster-worker-kill, -worker-disconnect, -worker-exit, -disconnect-suicide-race.
const { cluster } = require('..');
const { useCluster, once, waitFor, isDead } = require('./helpers/cluster');

const { fork } = useCluster(cluster, { restart: {}, shutdownTimeoutMs: 10000 });



test('kill(): signal exit, exitedAfterDisconnect false, disconnect before exit, no restart', async () => {
  const w = fork();
  await once(w, 'online');
  const events = [];
  w.on('disconnect', () => events.push('disconnect'));
  w.on('exit', (code, signal) => events.push(['exit', code, signal]));
  cluster.on('restart', () => events.push('restart'));
  w.kill();
  await once(cluster, 'exit');
  await new Promise((r) => setTimeout(r, 300));
  expect(events).toEqual(['disconnect', ['exit', null, 'SIGTERM']]);
  expect(w.exitedAfterDisconnect).toBe(false);
  expect(w.isDead()).toBe(true);
  expect(Object.keys(cluster.workers)).toEqual([]);
});

test('disconnect(): exits 0 with exitedAfterDisconnect true, not restarted', async () => {
  const w = fork();
  await once(w, 'online');
  expect(w.isConnected()).toBe(true);
  w.disconnect();
  const [code, signal] = await once(w, 'exit');
  expect([code, signal]).toEqual([0, null]);
  expect(w.exitedAfterDisconnect).toBe(true);
  expect(w.isConnected()).toBe(false);
});

test('cluster.disconnect() disconnects every worker, then calls back', async () => {
  const workers = [fork(), fork()];
  await Promise.all(workers.map((w) => once(w, 'online')));
  const exits = Promise.all(workers.map((w) => once(w, 'exit')));
  await new Promise((resolve) => cluster.disconnect(resolve));
  for (const w of workers) expect(w.isConnected()).toBe(false);
  await exits;
  for (const w of workers) expect(w.exitedAfterDisconnect).toBe(true);
  await new Promise((resolve) => cluster.disconnect(resolve));
});

test('a worker that disconnects itself counts as exitedAfterDisconnect', async () => {
  const w = fork();
  await once(w, 'online');
  w.send({ cmd: 'disconnect' });
  await once(w, 'exit');
  expect(w.exitedAfterDisconnect).toBe(true);
});

test('an unexpected crash is restarted after a growing backoff', async () => {
  cluster.setupPrimary({ restart: { maxRestarts: 3, windowMs: 60000, backoffMs: 100 } });
  const restarts = [];
  cluster.on('restart', (next, old) => restarts.push({ next, old, at: Date.now() }));
  const exits = [];
  cluster.on('exit', (w, code) => exits.push({ id: w.id, code, at: Date.now() }));
  const first = fork({ MODE: 'crash', CODE: '2' });
  await waitFor(() => restarts.length === 3, 15000, 'three restarts');
  // Each restart comes after the exit it answers, by at least 100, 200, 400 ms.
  for (let i = 0; i < 3; i++) {
    const { next, old, at } = restarts[i];
    expect(old.exitedAfterDisconnect).toBe(false);
    expect(next.id).toBeGreaterThan(old.id);
    const exit = exits.find((e) => e.id === old.id);
    expect(exit.code).toBe(2);
    expect(at - exit.at).toBeGreaterThanOrEqual(100 * 2 ** i - 5);
  }
  expect(restarts[0].old).toBe(first);
  // The restarted worker keeps the env it was forked with.
  expect(restarts[2].next.process.pid).toBeGreaterThan(0);
});

test('past maxRestarts within windowMs the cluster emits ERR_RESTART_LIMIT and stops', async () => {
  cluster.setupPrimary({ restart: { maxRestarts: 2, windowMs: 60000, backoffMs: 10 } });
  let restarts = 0;
  cluster.on('restart', () => restarts++);
  const failed = once(cluster, 'error');
  fork({ MODE: 'crash' });
  const [err] = await failed;
  expect(err).toMatchObject({ code: 'ERR_RESTART_LIMIT' });
  expect(err.message).toMatch(/2 restarts within 60000 ms/);
  expect(restarts).toBe(2);
  await new Promise((r) => setTimeout(r, 300));
  expect(Object.keys(cluster.workers)).toEqual([]);
  expect(restarts).toBe(2);
});

test('restart: false never restarts', async () => {
  cluster.setupPrimary({ restart: false });
  let restarts = 0;
  cluster.on('restart', () => restarts++);
  const w = fork({ MODE: 'crash' });
  await once(w, 'exit');
  await new Promise((r) => setTimeout(r, 300));
  expect(restarts).toBe(0);
});

test('a worker killed from outside (SIGKILL) is restarted', async () => {
  cluster.setupPrimary({ restart: { maxRestarts: 1, windowMs: 60000, backoffMs: 10 } });
  const w = fork();
  await once(w, 'online');
  const restarted = once(cluster, 'restart');
  process.kill(w.pid, 'SIGKILL');
  const [next, old] = await restarted;
  expect(old).toBe(w);
  expect(old.process.signalCode).toBe('SIGKILL');
  await once(next, 'online');
  expect(cluster.workers[next.id]).toBe(next);
});

test('shutdown(): a worker that ignores SIGTERM and never leaves is SIGKILLed after shutdownTimeoutMs', async () => {
  cluster.setupPrimary({ shutdownTimeoutMs: 300 });
  const polite = fork();
  const stubborn = fork({ MODE: 'stubborn' });
  // A message round trip: the worker script (and its SIGTERM handler) has run. 'online' comes
  // earlier, before the script starts, as in node:cluster.
  for (const w of [polite, stubborn]) {
    const echoed = once(w, 'message');
    w.send('ready?');
    await echoed;
  }
  process.kill(stubborn.pid, 'SIGTERM'); // ignored
  const exits = new Map();
  cluster.on('exit', (w, code, signal) => exits.set(w.id, [code, signal]));
  const t0 = Date.now();
  await cluster.shutdown();
  expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  expect(exits.get(polite.id)).toEqual([0, null]);
  expect(exits.get(stubborn.id)).toEqual([null, 'SIGKILL']);
  expect(isDead(stubborn.pid)).toBe(true);
  expect(Object.keys(cluster.workers)).toEqual([]);
  // A second shutdown is a no-op; the cluster can fork again afterwards.
  await cluster.shutdown();
  const again = fork();
  await once(again, 'online');
});

test('shutdown() cancels pending restarts and fork() during shutdown throws', async () => {
  cluster.setupPrimary({ restart: { maxRestarts: 5, windowMs: 60000, backoffMs: 2000 }, shutdownTimeoutMs: 300 });
  let restarts = 0;
  cluster.on('restart', () => restarts++);
  const stays = fork({ MODE: 'stubborn' });
  await once(stays, 'online');
  const w = fork({ MODE: 'crash' });
  await once(w, 'exit');
  const down = cluster.shutdown();
  expect(() => cluster.fork()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
  await down;
  await new Promise((r) => setTimeout(r, 100));
  expect(restarts).toBe(0);
});
