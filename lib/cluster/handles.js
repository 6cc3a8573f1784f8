'use strict';

/**
 * The primary's listening handles, one per address a worker listens on: a `SharedHandle`
 * (`balance: 'shared'`), a `ReusePortHandle` (`'reuseport'`) or, for UDP, a `UdpHandle`; each
 * with `add(worker)` / `remove(worker)` as node:cluster's round-robin and shared handles.
 * @module native-parallel/lib/cluster/handles
 */

const { SharedHandle } = require('./shared-handle');
const { ReusePortHandle } = require('./reuseport-handle');
const { UdpHandle } = require('./udp-handle');
const { kState } = require('./symbols');

class Handles {
  /** @type {Map<string, SharedHandle | ReusePortHandle | UdpHandle>} */
  #byKey = new Map();

  /** @param {string} key */
  get(key) {
    return this.#byKey.get(key);
  }

  /**
   * The handle for `key`, made on first use (which may throw: bind errors carry `code`).
   * @param {string} key
   * @param {'shared' | 'reuseport' | 'udp'} kind
   * @param {any} address host, port and the options of that kind
   */
  obtain(key, kind, address) {
    let handle = this.#byKey.get(key);
    if (handle === undefined) {
      if (kind === 'udp') handle = new UdpHandle(address);
      else if (kind === 'shared') handle = new SharedHandle(address);
      else handle = new ReusePortHandle(address);
      this.#byKey.set(key, handle);
    }
    return handle;
  }

  /** Drops our copies of `worker`'s sockets (it is leaving without a successor). */
  withdraw(worker) {
    for (const handle of this.#byKey.values()) handle.withdraw(worker);
  }

  /** `worker` uses none of the handles any more. */
  removeWorker(worker) {
    for (const handle of this.#byKey.values()) handle.remove(worker);
  }

  /** Closes the handles nobody can use any more. */
  collect() {
    for (const [key, handle] of this.#byKey) {
      for (const w of handle.users) if (w[kState].done) handle.remove(w);
      if (handle.users.size > 0) continue;
      handle.close();
      this.#byKey.delete(key);
    }
  }
}

module.exports = { Handles };
