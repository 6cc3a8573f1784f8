#!/usr/bin/env node
'use strict';

/**
 * The CLI: `native-parallel compare [workloads..] [options]`.
 * Exit codes: 0 done, 1 a failure while running, 2 bad arguments.
 */

const { parseArgs } = require('node:util');
const { compare, SIZES } = require('../lib/compare');
const { byName } = require('../lib/compare/engines');
const { computeKernels } = require('../lib/kernels');

const HELP = `Usage: native-parallel compare [workloads..] [options]
       native-parallel compare --task ./my-task.js [options]
       native-parallel compare --app ./server.js [options]

Runs the same work on Node's built-ins (worker_threads, Piscina, node:cluster) and on the native
engines, checks every result against the JS reference, and reports time, speedup vs js,
parallel efficiency (against the same engine on 1 worker, run alongside), CPU and memory.

Workloads (default: all):
  compute kernels  ${computeKernels.join(' ')}
  suites           dispatch (tiny-task latency and tasks/s)   startup (time to a ready worker)
                   memory (memory added per worker)           ipc (messages/s between processes)
                   http (hello-world req/s and latency on 127.0.0.1, autocannon)
                   scaling (speedup vs number of workers, mandelbrot)

Options:
  --engines a,b,..  engines to run (default: every available one):
                    ${[...byName.keys()].join(', ')}
  --workers N       workers per engine (default: available CPUs)
  --size S          compute input size: ${SIZES.join(' | ')} (default: medium)
  --runs N          counted runs per engine, after one warm-up (default: 5)
  --json FILE       write the report as JSON
  --html FILE       write a self-contained HTML report with charts
  -h, --help        show this help

Your own task (a Piscina-style task file, CommonJS or ESM; the function may be async):
  --task FILE       run its default export on every engine that runs JavaScript (js,
                    worker_threads, piscina, cluster, native-cluster, native-workers) and
                    check each engine's results against the main thread's (deep equality,
                    structured-clone semantics)
  --name NAME       run this export instead of the default one
  --tasks N         tasks per run (default: about a second of single-thread work, at least 4
                    per worker, calibrated with a short run on the main thread)
  --input JSON      the input of every task (default: the file's inputs(count) export)
  --no-check        do not compare results (for tasks whose results vary): "unchecked"

Your own server (the file unchanged, listening on process.env.PORT):
  --app FILE        load it with autocannon on 127.0.0.1 as one process, under node:cluster and
                    under the native cluster (reuseport, shared), keep-alive and a new
                    connection per request; any non-2xx, socket error or timeout fails the row.
                    --engines cluster / native-cluster keeps only those modes (one process
                    always runs: it is what the ratios are against)
  --path PATH       request path (default: /)
  --seconds N       seconds per load (default: 5); rounds: --runs, at most 3
  --connections N   concurrent connections (default: 16)
  --port-env NAME   the environment variable the server reads its port from (default: PORT)
  --start-timeout N seconds a server has to start listening (default: 10)

Every report ends with a verdict: the fastest correct engine and its ratio against each of
Node's built-ins, and "cluster or worker_threads?" answered with numbers.
`;

function usageError(message) {
  process.stderr.write(`native-parallel: ${message}\nRun 'native-parallel compare --help' for usage.\n`);
  process.exitCode = 2;
}

function parseJson(value, flag) {
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new Error(`${flag} must be JSON (${err.message})`);
  }
}

function parsePositiveInt(value, flag) {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw Object.assign(new Error(`${flag} must be a positive integer, got '${value}'`), { code: 'ERR_USAGE' });
  return Number(value);
}

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        engines: { type: 'string' },
        workers: { type: 'string' },
        size: { type: 'string' },
        runs: { type: 'string' },
        json: { type: 'string' },
        html: { type: 'string' },
        task: { type: 'string' },
        name: { type: 'string' },
        tasks: { type: 'string' },
        input: { type: 'string' },
        'no-check': { type: 'boolean' },
        app: { type: 'string' },
        path: { type: 'string' },
        seconds: { type: 'string' },
        connections: { type: 'string' },
        'port-env': { type: 'string' },
        'start-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return usageError(err.message);
  }
  const { values, positionals } = parsed;
  const [command, ...workloads] = positionals;
  if (values.help || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  if (command !== 'compare') return usageError(command === undefined ? 'missing command (compare)' : `unknown command '${command}'`);

  let options;
  try {
    options = {
      workloads: workloads.length ? workloads : undefined,
      engines: values.engines ? values.engines.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
      workers: values.workers === undefined ? undefined : parsePositiveInt(values.workers, '--workers'),
      runs: values.runs === undefined ? undefined : parsePositiveInt(values.runs, '--runs'),
      size: values.size,
      json: values.json,
      html: values.html,
      task: values.task,
      name: values.name,
      tasks: values.tasks === undefined ? undefined : parsePositiveInt(values.tasks, '--tasks'),
      input: values.input === undefined ? undefined : parseJson(values.input, '--input'),
      check: values['no-check'] ? false : undefined,
      app: values.app,
      path: values.path,
      seconds: values.seconds === undefined ? undefined : parsePositiveInt(values.seconds, '--seconds'),
      connections: values.connections === undefined ? undefined : parsePositiveInt(values.connections, '--connections'),
      portEnv: values['port-env'],
      startTimeout: values['start-timeout'] === undefined ? undefined : parsePositiveInt(values['start-timeout'], '--start-timeout'),
    };
    for (const [flag, key] of [['--name', 'name'], ['--tasks', 'tasks'], ['--input', 'input'], ['--no-check', 'check']]) {
      if (options[key] !== undefined && options.task === undefined) throw new Error(`${flag} needs --task`);
    }
    for (const [flag, key] of [['--path', 'path'], ['--seconds', 'seconds'], ['--connections', 'connections'], ['--port-env', 'portEnv'], ['--start-timeout', 'startTimeout']]) {
      if (options[key] !== undefined && options.app === undefined) throw new Error(`${flag} needs --app`);
    }
    require('../lib/compare').normalizeOptions(options);
  } catch (err) {
    return usageError(err.message);
  }

  const progress = require('../lib/compare/progress').createProgress(process.stderr);
  options.onProgress = progress.update;
  let report;
  try {
    report = await compare(options);
  } catch (err) {
    // The task file could not be used as one (no such export, inputs() not a list): bad arguments.
    if (err?.code === 'ERR_INVALID_ARG_VALUE' || err?.code === 'ERR_INVALID_ARG_TYPE') return usageError(err.message);
    throw err;
  } finally {
    progress.stop();
  }
  process.stdout.write(`${require('../lib/compare/report/table').renderTables(report)}\n`);
  if (values.json) process.stdout.write(`wrote ${values.json}\n`);
  if (values.html) process.stdout.write(`wrote ${values.html}\n`);
  const failed = [...report.workloads, report.suites.app ?? { results: [] }].some((w) => w.results.some((r) => r.status === 'failed'));
  if (failed) process.exitCode = 1;
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`native-parallel: ${err.stack || err}\n`);
  process.exitCode = 1;
});
