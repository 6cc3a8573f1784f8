'use strict';

/** A node:cluster worker of the `cluster` engine: runs parts on its own copy of the input. */

const { splitters, runPartHere } = require('./split');

process.on('message', ({ id, kernel, input, part }) => {
  try {
    const result = runPartHere(kernel, input, part);
    const output = part !== null && splitters[kernel].output ? splitters[kernel].output(input, part) : undefined;
    process.send({ id, result, output });
  } catch (err) {
    process.send({ id, error: err.stack || String(err) });
  }
});
