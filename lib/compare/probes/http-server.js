'use strict';

/**
 * A hello-world HTTP server for the http suite, started as its own process:
 *   node probes/http-server.js single|cluster <workers>
 * prints `{"port":N}` once every worker is listening on 127.0.0.1, and exits on SIGTERM.
 */

const http = require('node:http');
const cluster = require('node:cluster');

const [mode = 'single', workersArg = '2'] = process.argv.slice(2);
const handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('hello world\n');
};

if (mode === 'single') {
  const server = http.createServer(handler).listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else if (cluster.isPrimary) {
  const workers = Number(workersArg);
  let listening = 0;
  cluster.on('listening', (_worker, address) => {
    if (++listening === workers) process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  });
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers)) w.kill();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers).length === 0) process.exit(0);
    });
  });
} else {
  http.createServer(handler).listen(0, '127.0.0.1');
}
