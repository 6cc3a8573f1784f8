'use strict';

/**
 * Child process of the ipc suite (node:cluster): forks one worker that echoes every message and
 * prints `{ messagesPerSecond, latencyUs }` for 1 KiB objects.
 *   node probes/ipc-node-cluster.js advanced|json <messages>
 */

const cluster = require('node:cluster');

if (cluster.isPrimary) {
  const [serialization = 'advanced', countArg = '20000'] = process.argv.slice(2);
  const count = Number(countArg);
  const { message, measure } = require('./ipc-common');
  cluster.setupPrimary({ serialization });
  const worker = cluster.fork();
  worker.once('online', async () => {
    const result = await measure({
      send: (m) => worker.send(m),
      onMessage: (fn) => worker.on('message', fn),
      offMessage: (fn) => worker.off('message', fn),
      message,
      count,
    });
    worker.kill();
    process.stdout.write(JSON.stringify({ engine: 'cluster', serialization, ...result }));
  });
} else {
  process.on('message', (m) => process.send(m));
}
