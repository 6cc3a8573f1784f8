'use strict';

/**
 * Child process of the memory suite: `node probes/memory.js <engine> <workers>` prints
 * `{ addedMiB }`: this process's RSS growth plus the PSS of the engine's worker processes, after
 * starting the engine and running a task on every worker. Modules and the addon are loaded first,
 * and one worker of the engine is started and stopped before measuring (its code compiled,
 * Node's internal state made), so only what each worker adds is counted.
 */

const fs = require('node:fs');
const { byName } = require('../engines');
const { rssKb } = require('../measure');

const pssKb = (pid) => {
  try {
    return Number(/Pss:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))[1]);
  } catch {
    return rssKb(pid);
  }
};
const settle = () => new Promise((r) => setTimeout(r, 150));

async function main() {
  const [name, workersArg] = process.argv.slice(2);
  const workers = Number(workersArg);
  const engine = byName.get(name);
  require('../../native').loadNative();
  require('../split').runPartHere('primes', null, [0, 1000]);
  const warm = await engine.start({ workers: 1 });
  await warm.run('primes', { limit: 200000 });
  await warm.stop();
  await settle();
  const before = rssKb();
  const instance = await engine.start({ workers });
  await Promise.all(Array.from({ length: workers * 2 }, () => instance.run('primes', { limit: 200000 })));
  await settle();
  const added = rssKb() - before + instance.pids().reduce((sum, pid) => sum + pssKb(pid), 0);
  await instance.stop();
  process.stdout.write(JSON.stringify({ engine: name, workers, addedMiB: added / 1024 }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
