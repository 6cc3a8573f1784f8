'use strict';

/**
 * `compare --task`: the user's own function (a Piscina-style task file) on every engine that
 * runs JavaScript, the main thread's results as the reference. Every engine gets the same
 * inputs; each run keeps two tasks in flight per worker (the main thread: one after another), so
 * a worker that finishes always has a next task waiting in its engine's queue: an engine whose
 * workers take it without the main thread (WorkerPool) is credited for that, one whose queue is
 * on the main thread pays the hop, as in real use. Latency is a task's time from run() to its
 * result at that load (its round trip plus waiting for the task ahead of it), as an HTTP load
 * test reports latency at a number of connections. Engines alternate run by run after a checked warm-up; every run's
 * results are checked against the main thread's (unless `check` is false). Engines that run
 * only the package's Rust kernels are reported as skipped.
 * @module native-parallel/lib/compare/task
 */

const path = require('node:path');
const { loadTask, describeError } = require('./load');
const { asClone, copyInput, firstDifference } = require('./check');
const { now, msSince, summary, cpuMark, cpuMsSince, resetPeakRss, peakRssMiB } = require('../measure');
const errors = require('../../errors');

const TARGET_MS = 1000; // default: about a second of single-thread work
const MIN_PER_WORKER = 4;
const IN_FLIGHT_PER_WORKER = 2;
const MAX_TASKS = 20000;
const CALIBRATION_RUNS = 5;
const CALIBRATION_MS = 300;

/** Why an engine cannot run the user's JavaScript, or null. */
const cannotRunTasks = (engine) => (typeof engine.startTask === 'function' ? null : `${engine.name} runs the package's Rust kernels, not your JavaScript`);

/**
 * Runs `inputs` through `run` with `window` tasks in flight; stops handing out tasks at the
 * first exception (the ones in flight finish).
 * @returns {Promise<{ results: any[], latencyUs: Float64Array, error: { task: number, message: string } | null }>}
 */
async function runAll(run, inputs, window) {
  const results = new Array(inputs.length);
  const latencyUs = new Float64Array(inputs.length);
  let next = 0;
  let error = null;
  const lane = async () => {
    while (next < inputs.length && error === null) {
      const i = next++;
      const t0 = now();
      try {
        results[i] = await run(inputs[i]);
      } catch (err) {
        if (error === null || i < error.task) error = { task: i, message: `task ${i} threw: ${describeError(err)}` };
      }
      latencyUs[i] = msSince(t0) * 1000;
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, inputs.length) }, lane));
  return { results, latencyUs, error };
}

/** The task inputs: `input` for every task, else the file's `inputs(count)`, else undefined. */
async function makeInputs(count, { input, inputsFn }) {
  if (input !== undefined || !inputsFn) return Array.from({ length: count }, () => input);
  const list = await inputsFn(count);
  if (list === null || typeof list !== 'object' || typeof list[Symbol.iterator] !== 'function') {
    throw errors.invalidArgValue('inputs', list, `(the task file's inputs(${count})) must return an array of inputs`);
  }
  const out = Array.from(list);
  if (out.length === 0) throw errors.invalidArgValue('inputs', list, `(the task file's inputs(${count})) returned no inputs`);
  return out;
}

/**
 * @param {object} o
 * @param {string} o.file absolute path of the task file
 * @param {string} o.name export to run
 * @param {number} [o.tasks] tasks per run (default: calibrated)
 * @param {any} [o.input] the input of every task (default: the file's `inputs(count)`)
 * @param {boolean} o.check compare results with the main thread's
 * @param {any[]} o.engineModules engines to run (those without `startTask` are skipped)
 * @param {number} o.workers
 * @param {number} o.runs
 * @param {(label: string) => void} o.tick
 */
async function compareTask({ file, name, tasks, input, check, engineModules, workers, runs, tick }) {
  const label = path.basename(file) + (name === 'default' ? '' : `#${name}`);
  const { fn, inputs: inputsFn } = await loadTask(file, name);
  const js = (x) => fn(x);

  // Calibration: main-thread runs of the minimum count say how many tasks make ~1 s. The first
  // run is cold (loading, compiling); while little time has gone by it is repeated, and the
  // fastest run counts.
  const minTasks = MIN_PER_WORKER * workers;
  let count = tasks;
  if (count === undefined) {
    const probe = await makeInputs(minTasks, { input, inputsFn });
    const start = now();
    let perTaskMs = Infinity;
    for (let i = 0; i < CALIBRATION_RUNS && (i === 0 || msSince(start) < CALIBRATION_MS); i++) {
      const t0 = now();
      const r = await runAll(js, probe.map(copyInput), 1);
      if (r.error) break;
      perTaskMs = Math.min(perTaskMs, msSince(t0) / probe.length);
    }
    count = perTaskMs === Infinity ? minTasks : Math.max(minTasks, Math.min(MAX_TASKS, Math.ceil(TARGET_MS / Math.max(perTaskMs, 1e-6))));
  }
  tick(`task ${label} (calibration)`);
  const inputs = await makeInputs(count, { input, inputsFn });

  // The reference: the main thread's results (also the js engine's warm-up run).
  const ref = await runAll(js, inputs.map(copyInput), 1);
  const expected = ref.error ? null : ref.results.map(asClone);
  tick(`task ${label} (reference)`);

  const rows = [];
  try {
    for (const engine of engineModules) {
      const row = { engine: engine.name, instance: null, times: [], cpu: [], peak: [], latency: [], error: null, mismatch: null, skipped: cannotRunTasks(engine) };
      rows.push(row);
      if (row.skipped) continue;
      try {
        row.instance = engine.name === 'js' ? { workers: 1, run: js, pids: () => [], stop: async () => {} } : await engine.startTask({ workers, file, name });
      } catch (err) {
        row.error = `failed to start: ${describeError(err)}`;
      }
    }
    const live = () => rows.filter((r) => r.instance && !r.error);
    const verify = (row, r) => {
      if (r.error) {
        row.error = r.error.message;
        return;
      }
      if (!check) return;
      if (!expected) {
        row.error = `no main-thread results to check against: ${ref.error.message} on the main thread`;
        return;
      }
      const diff = firstDifference(r.results, expected);
      if (diff) {
        row.mismatch = diff;
        row.error = `task ${diff.task}: result differs from the main thread's: got ${diff.actual}, expected ${diff.expected}`;
      }
    };
    const runOnce = async (row) => {
      const own = row.engine === 'js' ? inputs.map(copyInput) : inputs;
      const pids = row.instance.pids();
      resetPeakRss(pids);
      const cpu = cpuMark(pids);
      const t0 = now();
      const r = await runAll(row.instance.run, own, row.engine === 'js' ? 1 : IN_FLIGHT_PER_WORKER * row.instance.workers);
      return { ...r, ms: msSince(t0), cpu: cpuMsSince(cpu), peak: peakRssMiB(pids) };
    };

    // Warm-up (checked, not counted); js's is the reference run.
    for (const row of rows) {
      if (row.instance && !row.error) verify(row, row.engine === 'js' ? ref : await runOnce(row));
      tick(`task ${label} ${row.engine} (warm-up)`);
    }
    for (let round = 0; round < runs; round++) {
      const order = rows.map((_, i) => rows[(round + i) % rows.length]);
      for (const row of order) {
        if (live().includes(row)) {
          const r = await runOnce(row);
          verify(row, r);
          if (!row.error) {
            row.times.push(r.ms);
            row.cpu.push(r.cpu);
            row.peak.push(r.peak);
            for (const l of r.latencyUs) row.latency.push(l);
          }
        }
        tick(`task ${label} ${row.engine}`);
      }
    }
  } finally {
    await Promise.all(rows.map((r) => r.instance?.stop().catch(() => {})));
  }

  const jsRow = rows.find((r) => r.engine === 'js' && !r.error && r.times.length === runs);
  return {
    name: label,
    kind: 'task',
    describe: `${inputs.length} tasks of ${name === 'default' ? 'the default export' : `'${name}'`}${input !== undefined ? ', --input for each' : inputsFn ? ', inputs from inputs()' : ''}${check ? '' : ', results unchecked'}`,
    file,
    function: name,
    tasks: inputs.length,
    checked: check,
    results: rows.map((row) => result(row, jsRow, inputs.length, check, workers)),
  };
}

function result(row, js, tasks, check, poolWorkers) {
  const workers = row.instance?.workers ?? (row.engine === 'js' ? 1 : poolWorkers);
  if (row.skipped) return { engine: row.engine, workers, status: 'skipped', error: row.skipped };
  if (row.error) return { engine: row.engine, workers, status: 'failed', error: row.error, ...(row.mismatch ? { mismatch: row.mismatch } : {}) };
  const l = Float64Array.from(row.latency).sort();
  const at = (q) => l[Math.min(l.length - 1, Math.max(0, Math.ceil(q * l.length) - 1))];
  return {
    engine: row.engine,
    workers,
    status: 'ok',
    checked: check,
    timeMs: summary(row.times),
    runsMs: row.times,
    speedup: js ? summary(row.times.map((t, i) => js.times[i] / t)) : null,
    tasksPerSecond: summary(row.times.map((t) => tasks / (t / 1000))),
    latencyUs: { mean: l.reduce((a, b) => a + b, 0) / l.length, p50: at(0.5), p99: at(0.99), max: l[l.length - 1] },
    cpuMs: summary(row.cpu),
    peakRssMiB: Math.max(...row.peak),
  };
}

/** Progress steps: calibration, reference, then a warm-up and `runs` runs per engine. */
const steps = (engineModules, runs) => 2 + engineModules.length * (runs + 1);

module.exports = { compareTask, steps, cannotRunTasks };
