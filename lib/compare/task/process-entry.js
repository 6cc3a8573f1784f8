'use strict';

/**
 * A worker process of the `cluster` and `native-cluster` task engines (both clusters give a
 * worker `process.send` and `process.on('message')`): loads the user's task file
 * (`argv[2]`, export `argv[3]`) once, then runs one task per message `{ id, input }` and
 * answers `{ id, result }` or `{ id, error }`.
 */

const { loadTask, describeError } = require('./load');

const [file, name] = process.argv.slice(2);
const loaded = loadTask(file, name);
loaded.catch(() => {}); // reported with the first task

process.on('message', async ({ id, input }) => {
  try {
    const { fn } = await loaded;
    process.send({ id, result: await fn(input) });
  } catch (err) {
    process.send({ id, error: describeError(err), described: true });
  }
});
