'use strict';

/**
 * `scaling`: speedup vs number of workers. Mandelbrot (the most evenly parallel kernel) on every
 * engine at 1..N workers; each point's speedup is its median time against the js engine's,
 * both measured in the same rounds.
 */

const reference = require('../../reference');
const { workloads } = require('../workloads');
const { now, msSince, summary } = require('../measure');

const WORKLOAD = 'mandelbrot';

async function scaling({ engineModules, workers, size, runs, tick }) {
  const w = workloads(size)[WORKLOAD];
  const expected = reference[WORKLOAD](w.make());
  const jsTimes = [];
  const timeJs = () => {
    const input = w.make();
    const t0 = now();
    reference[WORKLOAD](input);
    jsTimes.push(msSince(t0));
  };
  const results = [];
  for (const engine of engineModules.filter((e) => e.name !== 'js')) {
    const points = [];
    for (let n = 1; n <= workers; n++) {
      const instance = await engine.start({ workers: n });
      try {
        const input = w.make();
        const first = await instance.run(WORKLOAD, input);
        if (!w.check(first, expected)) throw new Error(`${engine.name} returned a wrong ${WORKLOAD} result`);
        const times = [];
        const ratios = [];
        for (let r = 0; r < runs; r++) {
          timeJs();
          const t0 = now();
          await instance.run(WORKLOAD, input);
          times.push(msSince(t0));
          ratios.push(jsTimes[jsTimes.length - 1] / times[times.length - 1]);
        }
        points.push({ workers: n, timeMs: summary(times), speedup: summary(ratios) });
      } catch (err) {
        points.push({ workers: n, error: err.message });
      } finally {
        await instance.stop();
      }
      tick(`scaling ${engine.name} x${n}`);
    }
    results.push({ engine: engine.name, points });
  }
  return { workload: WORKLOAD, describe: w.describe, jsMs: summary(jsTimes), results };
}

module.exports = { scaling, steps: (engines, _runs, workers) => engines.filter((e) => e.name !== 'js').length * workers };
