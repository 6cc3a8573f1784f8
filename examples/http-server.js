#!/usr/bin/env node
'use strict';

/**
 * The classic node:cluster example, "Handled by worker <pid>", runnable on node:cluster or on
 * native-parallel's cluster so the two can be compared directly:
 *
 *   node examples/http-server.js                     # node:cluster (round-robin through the primary)
 *   node examples/http-server.js --native            # native cluster, SO_REUSEPORT per worker
 *   node examples/http-server.js --native --balance shared
 *   node examples/http-server.js --single            # one plain process, no cluster
 *
 * Options: --workers N (default: os.availableParallelism()), --port P (default 8000),
 * --host H (default: all interfaces). Try it: curl http://127.0.0.1:8000/
 * With --native: `kill -HUP <primary pid>` reloads every worker without dropping a request, and
 * Ctrl-C (SIGINT) shuts the cluster down gracefully.
 */

const http = require('node:http');
const os = require('node:os');
const { parseArgs } = require('node:util');

const { values: opts } = parseArgs({
  options: {
    native: { type: 'boolean', default: false },
    single: { type: 'boolean', default: false },
    balance: { type: 'string', default: 'reuseport' },
    workers: { type: 'string', default: String(os.availableParallelism()) },
    port: { type: 'string', default: '8000' },
    host: { type: 'string' },
  },
  strict: false,
});

// The only line that differs: in your own project, require('native-parallel/cluster').
const cluster = opts.single ? null : opts.native ? require('../cluster') : require('node:cluster');
const port = Number(opts.port);
const host = typeof opts.host === 'string' ? opts.host : undefined;

function createServer() {
  return http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`Handled by worker ${process.pid}\n`);
  });
}

if (cluster === null) {
  createServer().listen({ port, host }, () => console.log(`Single process ${process.pid} listening on ${port}`));
} else if (cluster.isPrimary) {
  const kind = opts.native ? `native-parallel (${opts.balance})` : 'node:cluster';
  console.log(`Primary ${process.pid} is running on ${kind}`);
  if (opts.native) cluster.setupPrimary({ balance: /** @type {any} */ (opts.balance) });
  for (let i = 0; i < Number(opts.workers); i++) cluster.fork();
  cluster.on('listening', (worker, address) => console.log(`Worker ${worker.process.pid} listening on ${address.port}`));
  cluster.on('exit', (worker, code, signal) => console.log(`Worker ${worker.process.pid} died (${signal || code})`));
  if (opts.native) {
    process.on('SIGHUP', () => {
      console.log('Reloading...');
      cluster.reload().then(
        () => console.log('Reloaded'),
        (err) => console.error('Reload failed:', err.message),
      );
    });
  }
} else {
  // The same code on both: a worker's server.listen() goes through the cluster's balance.
  createServer().listen({ port, host });
  console.log(`Worker ${process.pid} started`);
}
