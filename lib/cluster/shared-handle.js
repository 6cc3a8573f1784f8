'use strict';

/**
 * `balance: 'shared'`: the primary makes one listening socket per address and hands a copy to
 * every worker that listens there; every worker accepts on it (node:cluster's SCHED_NONE,
 * shaped like its `shared_handle.js`). Connections never pass through the primary.
 * @module native-parallel/lib/cluster/shared-handle
 */

const { loadNative } = require('../native');

class SharedHandle {
  /** @type {Set<import('./primary-worker').Worker>} */
  users = new Set();

  /**
   * Binds and listens at once; throws (a native error with `code`) when it cannot.
   * @param {{ host: string, port: number, backlog: number, ipv6Only?: boolean }} address
   */
  constructor({ host, port, backlog, ipv6Only }) {
    const [fd, actual] = loadNative('cluster').NativeCluster.bind(host, port, backlog, 'shared', !!ipv6Only);
    this.fd = fd;
    this.port = actual;
  }

  /**
   * Sends the socket to `worker`.
   * @param {import('./primary-worker').Worker} worker
   * @param {(fd: number) => number} sendFd passes an fd to the worker, returns its token
   * @returns {{ fd: true, token: number, port: number }} the reply to the worker's request
   */
  add(worker, sendFd) {
    this.users.add(worker);
    return { fd: true, token: sendFd(this.fd), port: this.port };
  }

  /** Shared mode keeps no per-worker copies: nothing to deposit. */
  deposit(worker, fd) {
    loadNative('cluster').NativeCluster.closeFd(fd);
  }

  /** @returns {boolean} true once no worker uses the socket any more */
  remove(worker) {
    this.users.delete(worker);
    return this.users.size === 0;
  }

  /** Nothing kept for a worker that leaves: the socket lives on in the primary. */
  withdraw() {}

  close() {
    loadNative('cluster').NativeCluster.closeFd(this.fd);
  }
}

module.exports = { SharedHandle };
