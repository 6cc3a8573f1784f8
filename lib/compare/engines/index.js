'use strict';

/**
 * Every engine `compare` knows, in report order. Adding an engine is one file in this folder
 * exporting `{ name, kind, describe, available(), start({ workers }) }` and one line here;
 * `start` resolves with `{ workers, run(kernel, input), noop(), pids(), stop() }` once the
 * engine is ready (pools are started before timing), plus `kernels` (the compute workloads it
 * runs) when it does not run them all: the others are reported as skipped. See
 * `docs/adding-an-engine.md`.
 * @module native-parallel/lib/compare/engines
 */

const engines = [
  require('./js'),
  require('./worker-threads'),
  require('./piscina'),
  require('./node-cluster'),
  require('./native-threads'),
  require('./native-processes'),
  require('./native-cluster'),
  require('./native-workers'),
];

const byName = new Map(engines.map((e) => [e.name, e]));

module.exports = { engines, byName };
