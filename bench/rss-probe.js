'use strict';

/**
 * Child process for the memory figures: prints the RSS (kB, from /proc/self/status) added by
 * starting `what` and running one task on each of its workers. Run by bench/thread-pool.js.
 *   node bench/rss-probe.js threadpool|workers|none <workers>
 */

const fs = require('node:fs');

const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
const settle = () => new Promise((r) => setTimeout(r, 200));

async function main() {
  const [what, n] = [process.argv[2], Number(process.argv[3] || 2)];
  const { ThreadPool } = require('..');
  const { runPartHere } = require('../lib/compare/split');
  runPartHere('primes', { limit: 1000 }, [0, 1000]);
  // The addon itself is loaded once per process whatever the engine; count only the pool.
  require('../lib/native').loadNative();
  await settle();
  const before = rssKb();
  let stop = async () => {};
  if (what === 'threadpool') {
    const pool = new ThreadPool({ threads: n });
    await Promise.all(Array.from({ length: n }, () => pool.run('primes', { limit: 100000 })));
    stop = () => pool.destroy();
  } else if (what === 'workers') {
    const { WorkerPool } = require('../lib/compare/worker-pool');
    const pool = new WorkerPool(n);
    await Promise.all(Array.from({ length: n }, () => pool.run('primes', { limit: 100000 }, [0, 100000])));
    stop = () => pool.destroy();
  }
  await settle();
  const after = rssKb();
  await stop();
  process.stdout.write(JSON.stringify({ what, workers: n, addedKb: after - before }) + '\n');
}

main();
