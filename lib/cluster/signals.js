'use strict';

/**
 * SIGTERM/SIGINT to the primary (with `handleSignals`, the default): shut the cluster down,
 * then, when nobody else handles the signal, end the process the way the signal would have.
 * Installed while workers run, removed when the cluster is idle.
 * @module native-parallel/lib/cluster/signals
 */

const SIGNALS = ['SIGTERM', 'SIGINT'];

class SignalHandlers {
  /** @type {((signal: NodeJS.Signals) => void) | null} */
  #listener = null;

  /** @param {() => Promise<void>} shutdown */
  install(shutdown) {
    if (this.#listener) return;
    this.#listener = (signal) => {
      shutdown().then(() => {
        // Nobody else handles it: end the way the signal would have ended us.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    };
    for (const s of SIGNALS) process.on(s, this.#listener);
  }

  uninstall() {
    if (!this.#listener) return;
    for (const s of SIGNALS) process.off(s, this.#listener);
    this.#listener = null;
  }
}

module.exports = { SignalHandlers };
