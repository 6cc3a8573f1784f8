'use strict';

/**
 * The compute comparison: one workload at a time, every engine alternated run by run, each
 * engine's output checked against the reference before any of its times count (a wrong answer
 * is a failure in the report, never a time). An engine on more than one worker may bring a
 * second instance of itself on one worker (`oneWorker`): it runs in the same rounds, so parallel
 * efficiency is a ratio of times measured side by side, like the speedup vs js.
 * @module native-parallel/lib/compare/kernels
 */

const reference = require('../reference');
const { workloads: makeWorkloads } = require('./workloads');
const { now, msSince, summary, cpuMark, cpuMsSince, resetPeakRss, peakRssMiB } = require('./measure');

/**
 * @param {object} o
 * @param {string[]} o.names workloads to run
 * @param {Array<{ name: string, instance: any, oneWorker?: any }>} o.engines started engines, with
 *   the same engine started on one worker when `instance` has more
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
    const entry = (engine, instance, label) => ({ engine, instance, label, input: w.make(), times: [], cpu: [], peak: [], error: null, skipped: skipFor(engine, instance) });
    const rows = engines.map(({ name: engine, instance, oneWorker }) => {
      const row = entry(engine, instance, engine);
      if (oneWorker && instance.workers > 1) row.oneWorker = entry(engine, oneWorker, `${engine} on 1 worker`);
      return row;
    });
    // Every instance takes its turn in every round, the one-worker ones beside their engine.
    const state = rows.flatMap((row) => (row.oneWorker ? [row, row.oneWorker] : [row]));

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
        tick(`${name} ${s.label} (skipped)`);
        continue;
      }
      try {
        verify(s, (await runOnce(s)).result);
      } catch (err) {
        s.error = err.message;
      }
      tick(`${name} ${s.label} (warm-up)`);
    }
    // Counted runs, alternated with a rotating order; the last one is checked again.
    for (let round = 0; round < runs; round++) {
      for (let i = 0; i < state.length; i++) {
        const s = state[(round + i) % state.length];
        if (s.error || s.skipped) {
          tick(`${name} ${s.label}`);
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
        tick(`${name} ${s.label}`);
      }
    }

    const js = rows.find((s) => s.engine === 'js' && !s.error);
    out.push({
      name,
      kind: 'kernel',
      describe: w.describe,
      results: rows.map((s) => {
        if (s.skipped) return { engine: s.engine, workers: s.instance.workers, status: 'skipped', error: s.skipped };
        if (s.error) return { engine: s.engine, workers: s.instance.workers, status: 'failed', error: s.error };
        const workers = s.instance.workers;
        const speedup = js ? summary(s.times.map((t, i) => js.times[i] / t)) : null;
        // Parallel efficiency: the same engine's time on one worker / (workers x its time here),
        // per round. On one worker that is itself: 1. Unknown (null) when the one-worker
        // instance did not start or failed.
        const one = workers === 1 ? s : s.oneWorker && !s.oneWorker.error && s.oneWorker.times.length === s.times.length ? s.oneWorker : null;
        return {
          engine: s.engine,
          workers,
          status: 'ok',
          timeMs: summary(s.times),
          runsMs: s.times,
          speedup,
          speedupPerWorker: speedup ? speedup.median / workers : null,
          oneWorkerMs: one ? summary(one.times) : null,
          efficiency: one ? summary(s.times.map((t, i) => one.times[i] / (workers * t))).median : null,
          cpuMs: summary(s.cpu),
          peakRssMiB: Math.max(...s.peak),
        };
      }),
    });
  }
  return out;
}

module.exports = { compareKernels };
