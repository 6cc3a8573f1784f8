'use strict';

/**
 * Reference `noop` kernel: does nothing. Used to measure pure dispatch overhead.
 *
 * @param {{}} [_input] Ignored.
 * @returns {undefined}
 */
function noop(_input) {
  return undefined;
}

module.exports = noop;
