'use strict';

/**
 * Reference `spin` kernel: busy-waits (burns CPU, never sleeps) for at least
 * `micros` microseconds, measured with the monotonic `process.hrtime.bigint()` clock.
 *
 * @param {{ micros: number }} input `micros` is a non-negative number of microseconds.
 * @returns {undefined}
 */
function spin(input) {
  const nanos = BigInt(Math.ceil(input.micros * 1000));
  const end = process.hrtime.bigint() + nanos;
  while (process.hrtime.bigint() < end) {
    // busy-wait
  }
  return undefined;
}

module.exports = spin;
