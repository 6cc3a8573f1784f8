'use strict';

/**
 * `http`: req/s and latency percentiles of a hello-world server on 127.0.0.1 under a bounded
 * autocannon load, with keep-alive and with a new connection per request: one plain process,
 * node:cluster, and (when available) the native cluster. The load generator runs in this
 * process and takes a core of its own: on a 2-core machine that caps every server.
 */

const path = require('node:path');
const { spawn } = require('node:child_process');
const { summary } = require('../measure');
const { load } = require('../autocannon');

const DURATION_S = 3;
const CONNECTIONS = 16;

function contenders(workers) {
  const list = [
    ['single process', 'http-server.js', ['single', '1']],
    [`cluster x${workers}`, 'http-server.js', ['cluster', String(workers)]],
  ];
  try {
    require.resolve('../probes/http-native-cluster.js');
    list.push([`native-cluster reuseport x${workers}`, 'http-native-cluster.js', ['reuseport', String(workers)]]);
    list.push([`native-cluster shared x${workers}`, 'http-native-cluster.js', ['shared', String(workers)]]);
  } catch {
    // not built yet
  }
  return list;
}

/** Starts a server process; resolves with { port, stop }. */
function startServer(file, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'probes', file), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not start`));
    }, 20000);
    child.stdout.on('data', (d) => {
      buf += d;
      const line = buf.split('\n')[0];
      if (buf.includes('\n')) {
        clearTimeout(timer);
        const { port } = JSON.parse(line);
        resolve({
          port,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
              child.once('exit', () => {
                clearTimeout(kill);
                done();
              });
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('error', reject);
  });
}

async function httpSuite({ workers, runs, tick }) {
  let autocannonMissing = null;
  try {
    require.resolve('autocannon');
  } catch {
    autocannonMissing = 'autocannon is not installed';
  }
  const list = contenders(workers);
  const rounds = Math.max(1, Math.min(runs, 3));
  const results = [];
  for (const [label, file, args] of list) {
    for (const keepAlive of [true, false]) {
      const entry = { engine: label, connection: keepAlive ? 'keep-alive' : 'close' };
      if (autocannonMissing) {
        results.push({ ...entry, status: 'skipped', error: autocannonMissing });
        continue;
      }
      const rps = [];
      const p99 = [];
      let errors = 0;
      try {
        const server = await startServer(file, args);
        try {
          for (let round = 0; round < rounds; round++) {
            const r = await load({ port: server.port, seconds: DURATION_S, connections: CONNECTIONS, keepAlive });
            rps.push(r.requestsPerSecond);
            p99.push(r.latencyP99Ms);
            errors += r.non2xx + r.socketErrors + r.timeouts;
            tick(`http ${label} ${entry.connection}`);
          }
        } finally {
          await server.stop();
        }
        results.push({ ...entry, status: 'ok', requestsPerSecond: summary(rps), latencyP99Ms: summary(p99), errors });
      } catch (err) {
        results.push({ ...entry, status: 'failed', error: err.message });
      }
    }
  }
  return { durationSeconds: DURATION_S, connections: CONNECTIONS, results };
}

module.exports = { http: httpSuite, steps: (_engines, runs, workers) => contenders(workers).length * 2 * Math.max(1, Math.min(runs, 3)) };
