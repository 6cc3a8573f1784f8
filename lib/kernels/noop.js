'use strict';

/** `noop`: does nothing; measures dispatch cost. */

const { validateObject } = require('../validate');
const reference = require('../reference/noop');

module.exports = {
  name: 'noop',
  reference,
  prepare(input) {
    if (input !== undefined) validateObject(input, 'input');
    return { params: [], views: [], result: () => undefined };
  },
  split: {
    parts: () => [null],
    runPart: () => undefined,
    combine: () => undefined,
  },
};
