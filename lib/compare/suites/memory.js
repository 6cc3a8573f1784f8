'use strict';

/**
 * `memory`: memory added per worker. Each measurement is a fresh process (probes/memory.js) that
 * starts one engine, gives every worker a task, and reports its own RSS growth plus the PSS of
 * the engine's worker processes.
 */

const path = require('node:path');
const { execFile } = require('node:child_process');
const { summary } = require('../measure');

const PROBE = path.join(__dirname, '..', 'probes', 'memory.js');
const probe = (engine, workers) =>
  new Promise((resolve, reject) => {
    execFile(process.execPath, [PROBE, engine, String(workers)], { timeout: 60000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout));
    });
  });

async function memory({ engineModules, workers, runs, tick }) {
  const contenders = engineModules.filter((e) => e.name !== 'js');
  const samples = new Map(contenders.map((e) => [e.name, []]));
  const errors = new Map();
  const rounds = Math.max(3, Math.min(runs, 5));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const { name } = contenders[(round + i) % contenders.length];
      try {
        const r = await probe(name, workers);
        samples.get(name).push(r.addedMiB / workers);
      } catch (err) {
        errors.set(name, err.message);
      }
      tick(`memory ${name}`);
    }
  }
  return {
    workers,
    results: contenders.map(({ name }) =>
      errors.has(name) ? { engine: name, status: 'failed', error: errors.get(name) } : { engine: name, status: 'ok', perWorkerMiB: summary(samples.get(name)) },
    ),
  };
}

module.exports = { memory, steps: (engines, runs) => engines.filter((e) => e.name !== 'js').length * Math.max(3, Math.min(runs, 5)) };
