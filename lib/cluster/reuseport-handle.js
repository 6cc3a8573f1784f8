'use strict';

/**
 * `balance: 'reuseport'`: every worker makes its own SO_REUSEPORT socket and the kernel spreads
 * connections over them. The primary's part, per address:
 * - port 0: it reserves one port (a SO_REUSEPORT socket bound, never listening) so every worker
 *   and every later replacement binds the same port;
 * - each worker deposits a copy of its socket here, so a worker that replaces it in a reload
 *   takes over that very socket: the kernel's group never loses a socket and nothing waiting in
 *   its accept queue is dropped.
 * @module native-parallel/lib/cluster/reuseport-handle
 */

const net = require('node:net');
const os = require('node:os');
const { loadNative } = require('../native');

const native = () => loadNative('cluster').NativeCluster;

/**
 * Throws EADDRINUSE when another process already listens on `port`: Linux lets any process of
 * the same user join a SO_REUSEPORT group, so a second program on the same port would silently
 * share it, where node:cluster's primary (which listens without SO_REUSEPORT) fails. A plain
 * socket (SO_REUSEADDR, no SO_REUSEPORT) can bind, but not listen, where another socket
 * listens (Linux checks again at listen()), ours included: so the probe is made before this
 * cluster has a socket on the port, and closed at once. A connection that reaches the probe in
 * that moment is reset, as it would have been refused a moment earlier: nothing served the port.
 * @param {string} host @param {number} port @param {boolean} ipv6Only
 */
function probeFree(host, port, ipv6Only) {
  const handle = net._createServerHandle(host, port, net.isIPv6(host) ? 6 : 4, undefined, ipv6Only ? 1 : 0);
  const err = typeof handle === 'number' ? handle : handle.listen(1);
  if (typeof handle !== 'number') handle.close();
  if (!err) return;
  const code = Object.entries(os.constants.errno).find(([, n]) => -n === err)?.[0] ?? 'EINVAL';
  throw Object.assign(new Error(`listen ${code} ${host}:${port}`), { code, errno: err, syscall: 'listen', address: host, port });
}

class ReusePortHandle {
  /** @type {Set<import('./primary-worker').Worker>} */
  users = new Set();
  /** @type {Map<import('./primary-worker').Worker, number>} each worker's deposited socket */
  deposits = new Map();
  /** The reservation's fd (port 0 only), else -1. */
  fd = -1;

  /**
   * Reserves the port when `port` is 0; throws (a native error with `code`) when it cannot.
   * @param {{ host: string, port: number, ipv6Only?: boolean }} address
   */
  constructor({ host, port, ipv6Only }) {
    this.port = port;
    if (port !== 0) probeFree(host, port, !!ipv6Only);
    if (port === 0) {
      const [fd, actual] = native().bind(host, 0, 1, 'reservation', !!ipv6Only);
      this.fd = fd;
      this.port = actual;
    }
  }

  /**
   * A worker joins: it takes over the socket of the worker it replaces (reload), else it is
   * told to make its own on the (reserved) port.
   * @param {import('./primary-worker').Worker} worker
   * @param {(fd: number) => number} sendFd passes an fd to the worker, returns its token
   * @param {number} requested the port the worker asked for
   * @param {import('./primary-worker').Worker | null} replaces
   */
  add(worker, sendFd, requested, replaces) {
    this.users.add(worker);
    const inherited = replaces ? this.deposits.get(replaces) : undefined;
    if (inherited !== undefined) {
      this.deposits.delete(replaces);
      this.deposits.set(worker, inherited);
      return { fd: true, token: sendFd(inherited), port: requested };
    }
    return { create: true, port: this.port };
  }

  /** Keeps `fd`, a copy of `worker`'s socket (replacing an older copy). */
  deposit(worker, fd) {
    this.withdraw(worker);
    this.deposits.set(worker, fd);
  }

  /**
   * Closes our copy of `worker`'s socket, so that the worker closing its own really takes the
   * socket out of the kernel's group.
   */
  withdraw(worker) {
    const fd = this.deposits.get(worker);
    if (fd === undefined) return;
    this.deposits.delete(worker);
    native().closeFd(fd);
  }

  /** @returns {boolean} true once no worker uses the address any more */
  remove(worker) {
    this.withdraw(worker);
    this.users.delete(worker);
    return this.users.size === 0;
  }

  close() {
    for (const worker of [...this.deposits.keys()]) this.withdraw(worker);
    if (this.fd >= 0) native().closeFd(this.fd);
    this.fd = -1;
  }
}

module.exports = { ReusePortHandle };
