'use strict';

/**
 * The ipc suite on this package's native cluster: forks one worker that echoes every message
 * and prints `{ messagesPerSecond, latencyUs }` for 1 KiB objects.
 *   node probes/ipc-native-cluster.js advanced|json <messages>
 */

const { cluster } = require('../../..');

if (cluster.isPrimary) {
  const [serialization = 'advanced', countArg = '20000'] = process.argv.slice(2);
  const { message, measure } = require('./ipc-common');
  cluster.setupPrimary({ exec: __filename, serialization });
  const worker = cluster.fork();
  worker.once('online', async () => {
    const result = await measure({
      send: (m) => worker.send(m),
      onMessage: (fn) => worker.on('message', fn),
      offMessage: (fn) => worker.off('message', fn),
      message,
      count: Number(countArg),
    });
    await cluster.shutdown();
    process.stdout.write(JSON.stringify({ engine: 'native-cluster', serialization, ...result }));
  });
} else {
  cluster.worker.on('message', (m) => cluster.worker.send(m));
}
