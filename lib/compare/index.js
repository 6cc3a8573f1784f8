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
const task = require('./task');
const app = require('./app');
const { verdict } = require('./verdict');
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
 * @property {string} [task] the user's task file (CommonJS or ESM): run on every engine that runs JavaScript
 * @property {string} [name] the task file's export to run (default: its default export)
 * @property {number} [tasks] tasks per run (default: about a second of single-thread work, at least 4 per worker)
 * @property {any} [input] the input of every task (default: the file's `inputs(count)` export)
 * @property {boolean} [check] compare every engine's results with the main thread's (default true)
 * @property {string} [app] the user's server file, listening on `process.env.PORT`
 * @property {string} [path] request path for `app` (default '/')
 * @property {number} [seconds] seconds per load for `app` (default 5)
 * @property {number} [connections] concurrent connections for `app` (default 16)
 * @property {string} [portEnv] the environment variable the server reads its port from (default 'PORT')
 * @property {number} [startTimeout] seconds a server has to listen (default 10)
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

/** An existing file, as an absolute path. */
function validateFile(value, name) {
  if (typeof value !== 'string' || value === '') throw errors.invalidArgType(name, 'a file path string', value);
  const abs = path.resolve(value);
  let stat = null;
  try {
    stat = fs.statSync(abs);
  } catch {
    // reported below
  }
  if (!stat?.isFile()) throw errors.invalidArgValue(name, value, 'must name an existing file');
  return abs;
}

function validateString(value, name, pattern, what) {
  if (typeof value !== 'string') throw errors.invalidArgType(name, 'a string', value);
  if (!pattern.test(value)) throw errors.invalidArgValue(name, value, `must be ${what}`);
  return value;
}

/** The `task` and `app` options, filled in; undefined where not asked for. */
function ownOptions(options) {
  const out = { task: undefined, app: undefined };
  if (options.task !== undefined) {
    out.task = {
      file: validateFile(options.task, 'options.task'),
      name: options.name === undefined ? 'default' : validateString(options.name, 'options.name', /^\S+$/, 'an export name'),
      tasks: options.tasks === undefined ? undefined : validateInteger(options.tasks, 'options.tasks', 1, 1e6),
      input: options.input,
      check: options.check === undefined ? true : options.check,
    };
    if (typeof out.task.check !== 'boolean') throw errors.invalidArgType('options.check', 'a boolean', options.check);
  }
  if (options.app !== undefined) {
    out.app = {
      file: validateFile(options.app, 'options.app'),
      path: options.path === undefined ? '/' : validateString(options.path, 'options.path', /^\/\S*$/, "a request path starting with '/'"),
      seconds: options.seconds === undefined ? 5 : validateInteger(options.seconds, 'options.seconds', 1, 3600),
      connections: options.connections === undefined ? 16 : validateInteger(options.connections, 'options.connections', 1, 10000),
      portEnv: options.portEnv === undefined ? 'PORT' : validateString(options.portEnv, 'options.portEnv', /^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'),
      startTimeoutMs: (options.startTimeout === undefined ? 10 : validateInteger(options.startTimeout, 'options.startTimeout', 1, 600)) * 1000,
    };
  }
  return out;
}

/** Checks and fills options; throws Node-style errors (the CLI maps them to exit code 2). */
function normalizeOptions(options = {}) {
  validateObject(options, 'options');
  const own = ownOptions(options);
  const o = {
    ...own,
    workloads:
      options.workloads === undefined
        ? own.task || own.app
          ? []
          : [...DEFAULT_WORKLOADS]
        : validateNames(options.workloads, 'options.workloads', DEFAULT_WORKLOADS, 'ERR_UNKNOWN_WORKLOAD'),
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
  const appRounds = Math.max(1, Math.min(o.runs, 3));
  const oneWorker = (engine) => kernelNames.length > 0 && o.workers > 1 && engine.name !== 'js';
  let done = 0;
  const total =
    kernelNames.length * (engineModules.length + engineModules.filter(oneWorker).length) * (o.runs + 1) +
    suiteNames.reduce((sum, s) => sum + suites[s].steps(engineModules, o.runs, o.workers), 0) +
    (o.task ? task.steps(engineModules, o.runs) : 0) +
    (o.app ? app.steps(appRounds, o.engines) : 0);
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
    options: {
      workloads: o.workloads,
      engines: engineModules.map((e) => e.name),
      workers: o.workers,
      size: o.size,
      runs: o.runs,
      ...(o.task ? { task: { file: o.task.file, name: o.task.name, tasks: o.task.tasks ?? null, check: o.task.check, ...(o.task.input === undefined ? {} : { input: o.task.input }) } } : {}),
      ...(o.app ? { app: { file: o.app.file, path: o.app.path, seconds: o.app.seconds, connections: o.app.connections, portEnv: o.app.portEnv } } : {}),
    },
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
  if (o.task) report.workloads.push(await task.compareTask({ ...o.task, engineModules, workers: o.workers, runs: o.runs, tick }));
  if (o.app) report.suites.app = await app.compareApp({ ...o.app, workers: o.workers, rounds: appRounds, engines: o.engines, tick });
  report.verdict = verdict(report);

  if (o.json) writeFile(o.json, `${JSON.stringify(report, null, 2)}\n`);
  if (o.html) writeFile(o.html, require('./report/html').renderHtml(report));
  return report;
}

function writeFile(file, text) {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, text);
}

module.exports = { compare, normalizeOptions, KERNEL_WORKLOADS, SUITES, DEFAULT_WORKLOADS, SIZES, SCHEMA };
