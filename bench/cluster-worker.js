'use strict';

/**
 * Worker for bench/cluster.js, the same code on every engine:
 *   BENCH_ENGINE=node     a node:cluster worker (process.send / server.listen)
 *   BENCH_ENGINE=native   a native-parallel cluster worker (cluster.worker.send / cluster.listen)
 *   BENCH_ENGINE=native-dropin  the node worker's code on the native cluster (process.send / server.listen)
 *   BENCH_ENGINE=single   one plain process (no cluster), PORT given
 * BENCH_MODE=echo echoes every message (BENCH_RAW=1, native only: as a raw frame, `{ raw: true }`);
 * BENCH_MODE=http serves "Hello World" and counts
 * requests and connections, reported on a { cmd: 'stats' } message.
 */

const http = require('node:http');

const engine = process.env.BENCH_ENGINE;
const mode = process.env.BENCH_MODE || 'echo';

let send;
let onMessage;
let listen;
if (engine === 'node') {
  send = (m) => process.send(m);
  onMessage = (f) => process.on('message', f);
  listen = (server) => server.listen({ port: Number(process.env.PORT || 0), host: '127.0.0.1' });
} else if (engine === 'native') {
  const { cluster } = require('..');
  send = (m) => cluster.worker.send(m);
  onMessage = (f) => cluster.worker.on('message', f);
  listen = (server) => cluster.listen(server, { port: Number(process.env.PORT || 0), host: '127.0.0.1' });
} else if (engine === 'native-dropin') {
  // The node:cluster program unchanged: process.send and a plain server.listen().
  require('../cluster');
  send = (m) => process.send(m);
  onMessage = (f) => process.on('message', f);
  listen = (server) => server.listen({ port: Number(process.env.PORT || 0), host: '127.0.0.1' });
} else {
  send = () => {};
  onMessage = () => {};
  // Started by the bench with a stdin pipe: when the bench goes away, so does this server.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  listen = (server) =>
    server.listen({ port: Number(process.env.PORT || 0), host: '127.0.0.1' }, () => {
      process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
    });
}

if (mode === 'echo' && process.env.BENCH_RAW === '1') {
  // Buffers go back as raw frames (no serializer): the native opt-in `{ raw: true }`.
  const { cluster } = require('..');
  onMessage((m) => cluster.worker.send(m, undefined, { raw: true }));
} else if (mode === 'echo') {
  onMessage((m) => send(m));
} else {
  let requests = 0;
  let connections = 0;
  const server = http.createServer((req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('Hello World');
  });
  server.on('connection', () => connections++);
  onMessage((m) => {
    if (m && m.cmd === 'stats') {
      send({ stats: { pid: process.pid, requests, connections } });
      requests = 0;
      connections = 0;
    }
  });
  listen(server);
}
