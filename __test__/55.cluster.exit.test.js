'use strict';

// Processes and the event loop: a primary killed with SIGKILL leaves no worker behind; many
// fork/exit cycles leave no zombie and no fd behind; nothing of the cluster keeps Node alive
// once it is done; SIGTERM to the primary shuts the cluster down.
const { startNode } = require('./helpers/node');
const { WORKER, waitFor, isDead } = require('./helpers/cluster');

const started = [];

/** `startNode` with the fixture's path in WORKER; the process is ended after the test. */
function runNode(script, { timeoutMs = 30000, onLine, args = [] } = {}) {
  const run = startNode(script, { timeoutMs, onLine, args, env: { ...process.env, WORKER } });
  started.push(run.child.pid);
  return run;
}

const workerPids = [];
afterEach(async () => {
  // Whatever a test started and left alive (it should be nothing) is ended here, by pid.
  for (const pid of [...started.splice(0), ...workerPids.splice(0)]) {
    if (!isDead(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

test('a primary killed with SIGKILL takes every worker with it within a second', async () => {
  const pids = [];
  const { child, done } = runNode(
    `const { cluster } = require('.');
     cluster.setupPrimary({ exec: process.env.WORKER, execArgv: [] });
     let online = 0;
     for (let i = 0; i < 3; i++) cluster.fork({ MODE: 'stubborn' });
     cluster.on('online', (w) => { console.log('pid ' + w.process.pid); if (++online === 3) console.log('ready'); });`,
    {
      onLine: (line) => {
        if (line.startsWith('pid ')) {
          pids.push(Number(line.slice(4)));
          workerPids.push(Number(line.slice(4)));
        }
      },
    },
  );
  await waitFor(() => pids.length === 3, 15000, 'three workers online');
  expect(pids.every((pid) => !isDead(pid))).toBe(true);
  child.kill('SIGKILL');
  await done;
  await waitFor(() => pids.every(isDead), 1000, 'every worker to die with the primary');
});

test('24 fork/exit cycles leave no zombie and no extra fd in the primary', async () => {
  // Each cycle starts a Node process; 24 (six of each way to end) find a per-cycle leak as
  // surely as 50 did, and stay well inside the bound on a loaded 2-core machine.
  const { done } = runNode(
    `
    const fs = require('node:fs');
    const { cluster } = require('.');
    cluster.setupPrimary({ exec: process.env.WORKER, execArgv: [], restart: false });
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const zombies = () => fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).filter((n) => {
      try {
        const s = fs.readFileSync('/proc/' + n + '/status', 'utf8');
        return Number(/^PPid:\\s+(\\d+)/m.exec(s)[1]) === process.pid && /^State:\\s+Z/m.test(s);
      } catch { return false; }
    });
    const once = (e, ev) => new Promise((r) => e.once(ev, r));
    async function cycle(i) {
      const how = i % 4;
      const w = cluster.fork(how === 0 ? { MODE: 'crash', CODE: '1' } : how === 3 ? { MODE: 'http' } : {});
      const exited = once(w, 'exit');
      if (how === 1) { await once(w, 'online'); w.kill('SIGKILL'); }
      if (how === 2) { await once(w, 'online'); w.disconnect(); }
      if (how === 3) { await once(w, 'listening'); w.disconnect(); }
      await exited;
    }
    (async () => {
      await cycle(3); // warm up: the spawner thread and lazily opened fds exist from now on
      await new Promise((r) => setTimeout(r, 50));
      const before = fds();
      for (let i = 0; i < 24; i++) await cycle(i);
      await new Promise((r) => setTimeout(r, 100));
      console.log(JSON.stringify({ before, after: fds(), zombies: zombies(), workers: Object.keys(cluster.workers).length }));
    })();`,
    { timeoutMs: 55000 },
  );
  const r = await done;
  expect(r.stderr).toBe('');
  expect(r.hung).toBe(false);
  expect(r.code).toBe(0);
  const result = JSON.parse(r.stdout);
  expect(result.zombies).toEqual([]);
  expect(result.after).toBe(result.before);
  expect(result.workers).toBe(0);
});

test('node -e exits once the cluster is shut down', async () => {
  const { done } = runNode(`
    const { cluster } = require('.');
    cluster.setupPrimary({ exec: process.env.WORKER, execArgv: [] });
    const w = cluster.fork({ MODE: 'http' });
    w.on('listening', () => cluster.shutdown().then(() => console.log('down')));`);
  expect(await done).toMatchObject({ code: 0, signal: null, stdout: 'down' });
});

test('node -e exits once every worker has exited by itself (no shutdown call)', async () => {
  const { done } = runNode(`
    const { cluster } = require('.');
    cluster.setupPrimary({ exec: process.env.WORKER, execArgv: [] });
    cluster.fork({ MODE: 'quiet' });
    cluster.fork({ MODE: 'crash', CODE: '0' });
    cluster.on('exit', (w, code) => console.log('exit ' + code));`);
  const r = await done;
  expect(r).toMatchObject({ code: 0, signal: null, stdout: 'exit 0\nexit 0' });
});

test('a primary that only loads the package and never forks exits at once', async () => {
  const { done } = runNode(`const { cluster } = require('.'); cluster.setupPrimary({ exec: 'x.js' }); console.log(cluster.isPrimary);`);
  expect(await done).toMatchObject({ code: 0, stdout: 'true' });
});

test('SIGTERM to the primary shuts the workers down, then ends the primary by that signal', async () => {
  const pids = [];
  const { child, done } = runNode(
    `const { cluster } = require('.');
     cluster.setupPrimary({ exec: process.env.WORKER, execArgv: [], shutdownTimeoutMs: 2000 });
     let n = 0;
     cluster.on('listening', (w) => { console.log('pid ' + w.process.pid); if (++n === 2) console.log('ready'); });
     cluster.on('exit', (w, code, signal) => console.log('exit ' + code + ' ' + signal));
     cluster.fork({ MODE: 'http' }); cluster.fork({ MODE: 'http' });`,
    {
      onLine: (line, proc) => {
        if (line.startsWith('pid ')) {
          pids.push(Number(line.slice(4)));
          workerPids.push(Number(line.slice(4)));
        }
        if (line === 'ready') proc.kill('SIGTERM');
      },
    },
  );
  const r = await done;
  expect(r.signal).toBe('SIGTERM');
  expect(r.stdout.split('\n').filter((l) => l.startsWith('exit '))).toEqual(['exit 0 null', 'exit 0 null']);
  expect(pids.every(isDead)).toBe(true);
});

test('workers share the primary stdout and stderr (unless silent)', async () => {
  const { done } = runNode(`
    const { cluster } = require('.');
    cluster.setupPrimary({ exec: process.env.WORKER, execArgv: [] });
    const w = cluster.fork();
    w.on('online', () => { w.send({ cmd: 'print', text: 'printed by the worker\\n' }); w.send({ cmd: 'disconnect' }); });`);
  const r = await done;
  expect(r).toMatchObject({ code: 0, stdout: 'printed by the worker' });
});

test('the ESM entry exports the same cluster', async () => {
  const { done } = runNode(
    `import('./index.mjs').then(async (m) => { const cjs = require('./index.js'); console.log(m.cluster === cjs.cluster, m.cluster.isPrimary, m.default.cluster === cjs.cluster); });`,
  );
  expect(await done).toMatchObject({ code: 0, stdout: 'true true true' });
});
