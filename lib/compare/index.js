'use strict';

/**
 * `compare`: runs the same work on Node's built-ins and on the native engines, checks every
 * result against the reference, and returns a report (the object the JSON file holds; its
 * schema is in the README). The CLI (`bin/native-parallel.js`) prints it and writes the files.
 * @module native-parallel/lib/compare
 */

const os = require('node:os');
const fs = require('node:fs');
const path = require('node:path');
const errors = require('../errors');
const { validateObject, validateInteger } = require('../validate');
const { engines: allEngines, byName } = require('./engines');
const { compareKernels } = require('./kernels');
const { computeKernels } = require('../kernels');
const suites = {
  dispatch: require('./suites/dispatch'),
  startup: require('./suites/startup'),
  memory: require('./suites/memory'),
  ipc: require('./suites/ipc'),
  http: require('./suites/http'),
  scaling: require('./suites/scaling'),
};

const KERNEL_WORKLOADS = computeKernels;
const SUITES = Object.freeze(Object.keys(suites));
const DEFAULT_WORKLOADS = Object.freeze([...KERNEL_WORKLOADS, 'dispatch', 'scaling', 'startup', 'memory', 'ipc', 'http']);
const SIZES = Object.freeze(['small', 'medium', 'large']);
const SCHEMA = 'native-parallel/compare-report@1';

/**
 * @typedef {object} CompareOptions
 * @property {string[]} [workloads] compute kernels and/or suites (default: all)
 * @property {string[]} [engines] engine names (default: every available engine)
 * @property {number} [workers] workers per engine (default: os.availableParallelism())
 * @property {'small' | 'medium' | 'large'} [size] compute input size (default 'medium')
 * @property {number} [runs] counted runs per engine (default 5)
 * @property {string} [json] also write the report as JSON to this file
 * @property {string} [html] also write the HTML report to this file
 * @property {(p: { done: number, total: number, label: string }) => void} [onProgress]
 */

function validateNames(value, name, known, unknownCode) {
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string')) {
    throw errors.invalidArgType(name, 'a non-empty array of strings', value);
  }
  for (const v of value) {
    if (!known.includes(v)) throw errors.makeError(TypeError, unknownCode, `Unknown ${name.replace(/^options\./, '').replace(/s$/, '')} '${v}'. Known: ${known.join(', ')}`);
  }
  return [...new Set(value)];
}

/** Checks and fills options; throws Node-style errors (the CLI maps them to exit code 2). */
function normalizeOptions(options = {}) {
  validateObject(options, 'options');
  const o = {
    workloads: options.workloads === undefined ? [...DEFAULT_WORKLOADS] : validateNames(options.workloads, 'options.workloads', DEFAULT_WORKLOADS, 'ERR_UNKNOWN_WORKLOAD'),
    engines: options.engines === undefined ? null : validateNames(options.engines, 'options.engines', [...byName.keys()], 'ERR_UNKNOWN_ENGINE'),
    workers: options.workers === undefined ? os.availableParallelism() : validateInteger(options.workers, 'options.workers', 1, 256),
    size: options.size === undefined ? 'medium' : options.size,
    runs: options.runs === undefined ? 5 : validateInteger(options.runs, 'options.runs', 1, 1000),
    json: options.json,
    html: options.html,
    onProgress: options.onProgress,
  };
  if (!SIZES.includes(o.size)) throw errors.invalidArgValue('options.size', o.size, `must be one of ${SIZES.join(', ')}`);
  for (const key of ['json', 'html']) {
    if (o[key] !== undefined && (typeof o[key] !== 'string' || o[key] === '')) throw errors.invalidArgType(`options.${key}`, 'a file path string', o[key]);
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw errors.invalidArgType('options.onProgress', 'a function', o.onProgress);
  return o;
}

/**
 * Runs the comparison.
 * @param {CompareOptions} [options]
 * @returns {Promise<object>} the report
 */
async function compare(options) {
  const o = normalizeOptions(options);
  const wanted = o.engines ?? allEngines.map((e) => e.name);
  const skipped = [];
  const engineModules = [];
  for (const name of wanted) {
    const engine = byName.get(name);
    const reason = engine.available();
    if (reason) skipped.push({ engine: name, reason });
    else engineModules.push(engine);
  }
  const kernelNames = o.workloads.filter((w) => KERNEL_WORKLOADS.includes(w));
  const suiteNames = o.workloads.filter((w) => SUITES.includes(w));

  // Parallel efficiency needs each engine's time on one worker: when the engines run on more,
  // a one-worker instance of each runs beside it in the compute rounds (js is one already).
  const oneWorker = (engine) => kernelNames.length > 0 && o.workers > 1 && engine.name !== 'js';
  let done = 0;
  const total =
    kernelNames.length * (engineModules.length + engineModules.filter(oneWorker).length) * (o.runs + 1) +
    suiteNames.reduce((sum, s) => sum + suites[s].steps(engineModules, o.runs, o.workers), 0);
  const tick = (label) => {
    done++;
    o.onProgress?.({ done: Math.min(done, total), total, label });
  };

  const report = {
    schema: SCHEMA,
    createdAt: new Date().toISOString(),
    machine: {
      cpus: os.availableParallelism(),
      model: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      platform: `${process.platform}-${process.arch}`,
      node: process.version,
      package: require('../../package.json').version,
    },
    options: { workloads: o.workloads, engines: engineModules.map((e) => e.name), workers: o.workers, size: o.size, runs: o.runs },
    skipped,
    workloads: [],
    suites: {},
  };

  const needsStarted = kernelNames.length > 0 || suiteNames.includes('dispatch');
  const started = [];
  try {
    if (needsStarted) {
      for (const engine of engineModules) {
        let entry;
        try {
          entry = { name: engine.name, instance: await engine.start({ workers: engine.name === 'js' ? 1 : o.workers }) };
        } catch (err) {
          skipped.push({ engine: engine.name, reason: `failed to start: ${err.message}` });
          continue;
        }
        started.push(entry);
        if (oneWorker(engine)) {
          // Not starting leaves this engine's efficiency unknown (null), nothing else.
          entry.oneWorker = await engine.start({ workers: 1 }).catch(() => null);
        }
      }
    }
    if (kernelNames.length > 0) {
      report.workloads = await compareKernels({ names: kernelNames, engines: started, size: o.size, runs: o.runs, tick });
    }
    if (suiteNames.includes('dispatch')) report.suites.dispatch = await suites.dispatch.dispatch({ engines: started, runs: o.runs, tick });
  } finally {
    await Promise.all(started.flatMap((s) => [s.instance.stop(), s.oneWorker?.stop()]));
  }
  const live = engineModules.filter((e) => !skipped.some((s) => s.engine === e.name));
  if (suiteNames.includes('scaling')) report.suites.scaling = await suites.scaling.scaling({ engineModules: live, workers: o.workers, size: o.size, runs: o.runs, tick });
  if (suiteNames.includes('startup')) report.suites.startup = await suites.startup.startup({ engineModules: live, runs: o.runs, tick });
  if (suiteNames.includes('memory')) report.suites.memory = await suites.memory.memory({ engineModules: live, workers: o.workers, runs: o.runs, tick });
  if (suiteNames.includes('ipc')) report.suites.ipc = await suites.ipc.ipc({ runs: o.runs, tick });
  if (suiteNames.includes('http')) report.suites.http = await suites.http.http({ workers: o.workers, runs: o.runs, tick });

  if (o.json) writeFile(o.json, `${JSON.stringify(report, null, 2)}\n`);
  if (o.html) writeFile(o.html, require('./report/html').renderHtml(report));
  return report;
}

function writeFile(file, text) {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, text);
}

module.exports = { compare, normalizeOptions, KERNEL_WORKLOADS, SUITES, DEFAULT_WORKLOADS, SIZES, SCHEMA };
