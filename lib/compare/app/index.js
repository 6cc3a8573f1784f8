'use strict';

/**
 * `compare --app`: the user's server file, unchanged, as one process (`single`), under
 * node:cluster (`cluster`) and under this package's cluster in both balance modes, loaded by
 * autocannon on 127.0.0.1 with keep-alive and with a new connection per request. Each round
 * starts every mode afresh (in a rotating order), warms it up, loads it both ways and ends it;
 * a response that is not 2xx, a socket error or a timeout is an error, and any error makes the
 * row FAILED. The load generator runs in this process and needs a core of its own.
 * @module native-parallel/lib/compare/app
 */

const path = require('node:path');
const { load } = require('../autocannon');
const { summary, rssKb } = require('../measure');
const { startServer, freePort } = require('./server');

/**
 * [row name, server mode, needs the native cluster, the `--engines` name that selects it (null:
 * always runs, it is the one-process baseline every ratio is against)]
 */
const MODES = [
  ['single', 'single', false, null],
  ['cluster', 'node', false, 'cluster'],
  ['native-cluster-reuseport', 'reuseport', true, 'native-cluster'],
  ['native-cluster-shared', 'shared', true, 'native-cluster'],
];

/** The modes `engines` (compare's `engines` option; null: all) selects. */
const selected = (engines) => MODES.filter(([, , , engine]) => engine === null || engines === null || engines.includes(engine));
const CONNECTION = [
  ['keep-alive', true],
  ['close', false],
];
const WARMUP_S = 1;

function nativeClusterMissing() {
  try {
    return require('../../cluster').getCluster().isPrimary ? null : 'only from a primary process';
  } catch (err) {
    return err.message;
  }
}

/** Samples the RSS (MiB) of all the server's processes while `promise` runs; resolves with both. */
async function withPeakRss(server, promise) {
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, server.pids().reduce((sum, pid) => sum + rssKb(pid), 0) / 1024);
  };
  const timer = setInterval(sample, 250);
  try {
    const result = await promise;
    sample();
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}

/**
 * @param {object} o
 * @param {string} o.file absolute path of the server file
 * @param {string} o.path request path
 * @param {number} o.seconds per load
 * @param {number} o.connections
 * @param {string} o.portEnv
 * @param {number} o.startTimeoutMs
 * @param {number} o.workers workers in the cluster modes
 * @param {number} o.rounds
 * @param {string[] | null} [o.engines] compare's `engines` option (null: every mode)
 * @param {(label: string) => void} o.tick
 */
async function compareApp({ file, path: urlPath, seconds, connections, portEnv, startTimeoutMs, workers, rounds, engines = null, tick }) {
  const missing = nativeClusterMissing();
  const modes = selected(engines).map(([engine, mode, native]) => ({
    engine,
    mode,
    workers: mode === 'single' ? 1 : workers,
    skipped: native ? missing : null,
    error: null,
    rows: new Map(CONNECTION.map(([connection]) => [connection, { rps: [], p50: [], p99: [], mean: [], rss: [], non2xx: 0, socketErrors: 0, timeouts: 0 }])),
  }));
  const name = path.basename(file);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < modes.length; i++) {
      const m = modes[(round + i) % modes.length];
      if (m.skipped || m.error) {
        for (let k = 0; k < CONNECTION.length; k++) tick(`app ${name} ${m.engine}`);
        continue;
      }
      let server;
      try {
        server = await startServer({ file, mode: m.mode, workers: m.workers, port: await freePort(), portEnv, startTimeoutMs });
      } catch (err) {
        m.error = err.message;
        for (let k = 0; k < CONNECTION.length; k++) tick(`app ${name} ${m.engine}`);
        continue;
      }
      try {
        const { port } = server;
        const warm = await load({ port, path: urlPath, seconds: Math.min(WARMUP_S, seconds), connections, keepAlive: true });
        count(m.rows.get('keep-alive'), warm);
        const order = round % 2 === 0 ? CONNECTION : [...CONNECTION].reverse();
        for (const [connection, keepAlive] of order) {
          const { result, peak } = await withPeakRss(server, load({ port, path: urlPath, seconds, connections, keepAlive }));
          const row = m.rows.get(connection);
          count(row, result);
          row.rps.push(result.requestsPerSecond);
          row.p50.push(result.latencyP50Ms);
          row.p99.push(result.latencyP99Ms);
          row.mean.push(result.latencyMeanMs);
          row.rss.push(peak);
          tick(`app ${name} ${m.engine} ${connection}`);
        }
      } catch (err) {
        m.error = err.message;
      } finally {
        await server.stop();
      }
    }
  }
  return {
    file,
    path: urlPath,
    seconds,
    connections,
    workers,
    rounds,
    results: modes.flatMap((m) => CONNECTION.map(([connection]) => appResult(m, connection, m.rows.get(connection)))),
  };
}

function count(row, r) {
  row.non2xx += r.non2xx;
  row.socketErrors += r.socketErrors;
  row.timeouts += r.timeouts;
}

function appResult(m, connection, row) {
  const base = { engine: m.engine, connection, workers: m.workers };
  if (m.skipped) return { ...base, status: 'skipped', error: m.skipped };
  if (m.error) return { ...base, status: 'failed', error: m.error };
  const errors = row.non2xx + row.socketErrors + row.timeouts;
  const numbers = {
    requestsPerSecond: summary(row.rps),
    runsRps: row.rps,
    latencyP50Ms: summary(row.p50).median,
    latencyP99Ms: summary(row.p99).median,
    latencyMeanMs: summary(row.mean).median,
    errors,
    errorsDetail: { non2xx: row.non2xx, socket: row.socketErrors, timeouts: row.timeouts },
    rssMiB: Math.max(...row.rss),
  };
  if (errors > 0) {
    const error = `${errors} error${errors === 1 ? '' : 's'}: ${row.non2xx} non-2xx responses, ${row.socketErrors} socket errors, ${row.timeouts} timeouts (warm-up included)`;
    return { ...base, status: 'failed', error, ...numbers };
  }
  return { ...base, status: 'ok', ...numbers };
}

/** Progress steps: one per selected mode, connection kind and round. */
const steps = (rounds, engines = null) => selected(engines).length * CONNECTION.length * rounds;

module.exports = { compareApp, steps, MODES: MODES.map(([engine]) => engine) };
