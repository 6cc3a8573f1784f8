'use strict';

/** `spin`: busy-waits `micros` microseconds; a task of controlled length. */

const { validateObject, validateInteger } = require('../validate');
const reference = require('../reference/spin');

module.exports = {
  name: 'spin',
  reference,
  prepare(input, limits) {
    validateObject(input, 'input');
    const micros = validateInteger(input.micros, 'input.micros', 0, limits.micros);
    return { params: [micros], views: [], result: () => undefined };
  },
  split: {
    parts: () => [null],
    runPart: (input) => reference(input),
    combine: () => undefined,
  },
};
