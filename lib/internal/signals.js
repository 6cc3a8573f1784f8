'use strict';

/**
 * Signal numbers to names, as Node names them. Several names share a number on Linux
 * (SIGABRT and SIGIOT are 6, SIGIO and SIGPOLL are 29); Node's own child processes and
 * node:cluster workers report the canonical one (SIGABRT, SIGIO), and `os.constants.signals`
 * lists each canonical name before its aliases, so the first name seen for a number wins.
 * @module native-parallel/lib/internal/signals
 */

const { signals } = require('node:os').constants;

/** @type {Map<number, NodeJS.Signals>} */
const names = new Map();
for (const [name, signo] of Object.entries(signals)) {
  if (!names.has(signo)) names.set(signo, /** @type {NodeJS.Signals} */ (name));
}

/**
 * The canonical name of signal number `signo` ('SIGABRT' for 6, never 'SIGIOT'), or
 * undefined for a number Node has no name for (real-time signals).
 * @param {number} signo
 * @returns {NodeJS.Signals | undefined}
 */
const signalName = (signo) => names.get(signo);

module.exports = { signalName };
