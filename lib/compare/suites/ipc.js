'use strict';

/**
 * `ipc`: messages/s and round-trip latency between a primary and one worker process, 1 KiB
 * objects echoed back. Each contender runs in a fresh process (probes/ipc-*.js).
 */

const path = require('node:path');
const { execFile } = require('node:child_process');
const { summary } = require('../measure');

/** Contenders: [label, probe file, args]. Native cluster joins when it is available. */
function contenders() {
  const list = [
    ['cluster (advanced)', 'ipc-node-cluster.js', ['advanced']],
    ['cluster (json)', 'ipc-node-cluster.js', ['json']],
  ];
  try {
    require.resolve('../probes/ipc-native-cluster.js');
    list.push(['native-cluster (advanced)', 'ipc-native-cluster.js', ['advanced']]);
    list.push(['native-cluster (json)', 'ipc-native-cluster.js', ['json']]);
  } catch {
    // not built yet
  }
  return list;
}

const run = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, '..', 'probes', file), ...args, '20000'], { timeout: 120000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout));
    });
  });

async function ipc({ runs, tick }) {
  const list = contenders();
  const rounds = Math.max(3, Math.min(runs, 5));
  const samples = new Map(list.map(([label]) => [label, []]));
  const errors = new Map();
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < list.length; i++) {
      const [label, file, args] = list[(round + i) % list.length];
      try {
        samples.get(label).push(await run(file, args));
      } catch (err) {
        errors.set(label, err.message);
      }
      tick(`ipc ${label}`);
    }
  }
  return {
    messageBytes: JSON.stringify(require('../probes/ipc-common').message(0)).length,
    results: list.map(([label]) => {
      if (errors.has(label)) return { engine: label, status: 'failed', error: errors.get(label) };
      const s = samples.get(label);
      return {
        engine: label,
        status: 'ok',
        messagesPerSecond: summary(s.map((r) => r.messagesPerSecond)),
        latencyUs: { p50: summary(s.map((r) => r.latencyUs.p50)).median, p99: summary(s.map((r) => r.latencyUs.p99)).median },
      };
    }),
  };
}

module.exports = { ipc, steps: (_engines, runs) => contenders().length * Math.max(3, Math.min(runs, 5)) };
