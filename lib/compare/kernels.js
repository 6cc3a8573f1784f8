'use strict';

/**
 * The compute comparison: one workload at a time, every engine alternated run by run, each
 * engine's output checked against the reference before any of its times count (a wrong answer
 * is a failure in the report, never a time).
 * @module native-parallel/lib/compare/kernels
 */

const reference = require('../reference');
const { workloads: makeWorkloads } = require('./workloads');
const { now, msSince, summary, cpuMark, cpuMsSince, resetPeakRss, peakRssMiB } = require('./measure');

/**
 * @param {object} o
 * @param {string[]} o.names workloads to run
 * @param {Array<{ name: string, instance: any }>} o.engines started engines
 * @param {'small' | 'medium' | 'large'} o.size
 * @param {number} o.runs counted runs per engine
 * @param {(label: string) => void} o.tick progress: called once per engine run
 */
async function compareKernels({ names, engines, size, runs, tick }) {
  const all = makeWorkloads(size);
  const out = [];
  for (const name of names) {
    const w = all[name];
    const expected = reference[name](w.make());
    // An engine may list the workloads it runs (`instance.kernels`); it is skipped for others.
    const skipFor = (engine, instance) => (instance.kernels && !instance.kernels.includes(name) ? `${engine} does not run ${name}` : null);
    const state = engines.map(({ name: engine, instance }) => ({ engine, instance, input: w.make(), times: [], cpu: [], peak: [], error: null, skipped: skipFor(engine, instance) }));

    const runOnce = async (s) => {
      w.reset?.(s.input);
      const pids = s.instance.pids();
      resetPeakRss(pids);
      const cpu = cpuMark(pids);
      const t0 = now();
      const result = await s.instance.run(name, s.input);
      const ms = msSince(t0);
      return { result, ms, cpu: cpuMsSince(cpu), peak: peakRssMiB(pids) };
    };
    const verify = (s, result) => {
      if (!w.check(result, expected)) throw new Error(`${s.engine} returned a wrong ${name} result`);
    };

    // Warm-up run, checked.
    for (const s of state) {
      if (s.skipped) {
        tick(`${name} ${s.engine} (skipped)`);
        continue;
      }
      try {
        verify(s, (await runOnce(s)).result);
      } catch (err) {
        s.error = err.message;
      }
      tick(`${name} ${s.engine} (warm-up)`);
    }
    // Counted runs, alternated with a rotating order; the last one is checked again.
    for (let round = 0; round < runs; round++) {
      for (let i = 0; i < state.length; i++) {
        const s = state[(round + i) % state.length];
        if (s.error || s.skipped) {
          tick(`${name} ${s.engine}`);
          continue;
        }
        try {
          const r = await runOnce(s);
          if (round === runs - 1) verify(s, r.result);
          s.times.push(r.ms);
          s.cpu.push(r.cpu);
          s.peak.push(r.peak);
        } catch (err) {
          s.error = err.message;
        }
        tick(`${name} ${s.engine}`);
      }
    }

    const js = state.find((s) => s.engine === 'js' && !s.error);
    out.push({
      name,
      kind: 'kernel',
      describe: w.describe,
      results: state.map((s) => {
        if (s.skipped) return { engine: s.engine, workers: s.instance.workers, status: 'skipped', error: s.skipped };
        if (s.error) return { engine: s.engine, workers: s.instance.workers, status: 'failed', error: s.error };
        const speedup = js ? summary(s.times.map((t, i) => js.times[i] / t)) : null;
        return {
          engine: s.engine,
          workers: s.instance.workers,
          status: 'ok',
          timeMs: summary(s.times),
          speedup,
          efficiency: speedup ? speedup.median / s.instance.workers : null,
          cpuMs: summary(s.cpu),
          peakRssMiB: Math.max(...s.peak),
        };
      }),
    });
  }
  return out;
}

module.exports = { compareKernels };
