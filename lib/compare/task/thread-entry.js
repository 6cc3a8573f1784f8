'use strict';

/**
 * A `worker_threads` Worker of the `worker_threads` task engine: loads the user's task file
 * once, then runs one task per message `{ id, input }` and answers `{ id, result }` or
 * `{ id, error }` (an exception, a rejected promise, or a result that cannot be cloned).
 */

const { parentPort, workerData } = require('node:worker_threads');
const { loadTask, describeError } = require('./load');

const loaded = loadTask(workerData.file, workerData.name);
loaded.catch(() => {}); // reported with the first task

parentPort.on('message', async ({ id, input }) => {
  try {
    const { fn } = await loaded;
    parentPort.postMessage({ id, result: await fn(input) });
  } catch (err) {
    parentPort.postMessage({ id, error: describeError(err), described: true });
  }
});
