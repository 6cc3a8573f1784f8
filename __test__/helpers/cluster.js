'use strict';

// Helpers for the cluster tests: waiting for events, looking at processes, bounded HTTP load.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const WORKER = path.join(__dirname, '..', 'fixtures', 'cluster', 'worker.js');

/** Resolves with the arguments of the next `event` (rejects after `ms`). */
function once(emitter, event, ms = 15000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`timed out waiting for '${event}'`));
    }, ms);
    const on = (...args) => {
      clearTimeout(timer);
      resolve(args);
    };
    emitter.once(event, on);
  });
}

/** Polls `cond` every 20 ms until it is truthy (rejects after `ms`). */
async function waitFor(cond, ms = 10000, what = 'condition') {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** 'gone', or the State letter of /proc/<pid>/status ('S', 'R', 'Z', ...). */
function procState(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return /^State:\s+(\w)/m.exec(status)[1];
  } catch {
    return 'gone';
  }
}

/** True when the process no longer runs (gone, or a zombie waiting for its new parent). */
const isDead = (pid) => ['gone', 'Z', 'X'].includes(procState(pid));

/** Children of `ppid` (pid list) from /proc, with their state. */
function childrenOf(ppid) {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = fs.readFileSync(`/proc/${name}/status`, 'utf8');
      const parent = Number(/^PPid:\s+(\d+)/m.exec(status)[1]);
      if (parent === ppid) out.push({ pid: Number(name), state: /^State:\s+(\w)/m.exec(status)[1] });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

const fdCount = () => fs.readdirSync('/proc/self/fd').length;

/** GET / on 127.0.0.1:port; resolves with the body. `agent: false` = a new connection each time. */
function get(port, agent = false) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error('request timed out')));
  });
}

/**
 * Shuts the cluster down and checks that every process it ever started is gone.
 * @param {any} cluster
 * @param {number[]} pids
 */
async function shutdownAndCheck(cluster, pids) {
  await cluster.shutdown();
  await waitFor(() => pids.every(isDead), 5000, 'every worker to be gone');
}

/**
 * `fork(env)` on `cluster` that records each worker's pid in `pids` (for `shutdownAndCheck`).
 * @param {any} cluster
 */
function trackedFork(cluster) {
  /** @type {number[]} */
  const pids = [];
  const fork = (env) => {
    const w = cluster.fork(env);
    pids.push(w.process.pid);
    return w;
  };
  return { pids, fork };
}

/**
 * Jest hooks for a cluster suite: before each test the cluster's listeners go, `settings`
 * (the fixture worker by default) are applied and every worker's pid is recorded; after it the
 * cluster is shut down and each recorded process checked gone. Returns `{ pids, fork }`.
 * @param {any} cluster
 * @param {object} settings
 */
function useCluster(cluster, settings) {
  const tracked = trackedFork(cluster);
  beforeEach(() => {
    cluster.removeAllListeners();
    cluster.setupPrimary({ exec: WORKER, execArgv: [], args: [], env: {}, ...settings });
    cluster.on('fork', (w) => tracked.pids.push(w.process.pid));
  });
  afterEach(async () => {
    cluster.removeAllListeners();
    await shutdownAndCheck(cluster, tracked.pids.splice(0));
  });
  return tracked;
}

module.exports = { WORKER, trackedFork, useCluster, once, waitFor, procState, isDead, childrenOf, fdCount, get, shutdownAndCheck };
