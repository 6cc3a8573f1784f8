'use strict';

/**
 * The http suite's hello-world server on this package's native cluster:
 *   node probes/http-native-cluster.js reuseport|shared <workers>
 * prints `{"port":N}` once every worker is listening on 127.0.0.1; SIGTERM shuts it down.
 */

const http = require('node:http');
const { cluster } = require('../../..');

const [balance = 'reuseport', workersArg = '2'] = process.argv.slice(2);

if (cluster.isPrimary) {
  const workers = Number(workersArg);
  cluster.setupPrimary({ exec: __filename, args: [balance, workersArg], balance });
  let listening = 0;
  cluster.on('listening', (_worker, address) => {
    if (++listening === workers) process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  });
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('hello world\n');
  });
  cluster.listen(server, { port: 0, host: '127.0.0.1' });
}
