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
`;

function usageError(message) {
  process.stderr.write(`native-parallel: ${message}\nRun 'native-parallel compare --help' for usage.\n`);
  process.exitCode = 2;
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
    };
    require('../lib/compare').normalizeOptions(options);
  } catch (err) {
    return usageError(err.message);
  }

  const progress = require('../lib/compare/progress').createProgress(process.stderr);
  options.onProgress = progress.update;
  let report;
  try {
    report = await compare(options);
  } finally {
    progress.stop();
  }
  process.stdout.write(`${require('../lib/compare/report/table').renderTables(report)}\n`);
  if (values.json) process.stdout.write(`wrote ${values.json}\n`);
  if (values.html) process.stdout.write(`wrote ${values.html}\n`);
  const failed = report.workloads.some((w) => w.results.some((r) => r.status === 'failed'));
  if (failed) process.exitCode = 1;
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`native-parallel: ${err.stack || err}\n`);
  process.exitCode = 1;
});
