'use strict';

/** A native cluster worker of the `native-cluster` engine: runs parts on its own copy of the input. */

const { cluster } = require('../..');
const { splitters, runPartHere } = require('./split');

cluster.worker.on('message', ({ id, kernel, input, part }) => {
  try {
    const result = runPartHere(kernel, input, part);
    const output = part !== null && splitters[kernel].output ? splitters[kernel].output(input, part) : undefined;
    cluster.worker.send({ id, result, output });
  } catch (err) {
    cluster.worker.send({ id, error: err.stack || String(err) });
  }
});
