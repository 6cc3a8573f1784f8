'use strict';

/**
 * A UDP socket bound in a worker (`dgram.Socket#bind`, not `exclusive`): as node:cluster, the
 * primary binds one socket per address and every worker that binds there gets a copy, so
 * datagrams go to whichever worker reads first. The socket is made by `node:dgram` in the
 * primary (unreferenced: it never keeps the primary alive).
 * @module native-parallel/lib/cluster/udp-handle
 */

const dgram = require('node:dgram');
const { once } = require('node:events');

/** A dgram socket's handle (not public: found by its symbol's description). */
function handleOf(socket) {
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  return key ? socket[key].handle : undefined;
}

/** The fd of a bound dgram socket (its fd is what is shared). */
function fdOf(socket) {
  const fd = handleOf(socket)?.fd;
  if (typeof fd !== 'number' || fd < 0) throw Object.assign(new Error('The UDP socket has no fd'), { code: 'EBADF' });
  return fd;
}

class UdpHandle {
  /** @type {Set<any>} */
  users = new Set();

  /**
   * Starts binding (or opening `fd`, a descriptor of this process's); `add` waits for it.
   * @param {{ host: string, port: number, udp: 'udp4' | 'udp6', fd?: number, flags: number }} address
   */
  constructor({ host, port, udp, fd, flags }) {
    // libuv's UV_UDP_IPV6ONLY = 1, UV_UDP_REUSEADDR = 4.
    this.socket = dgram.createSocket({ type: udp, ipv6Only: (flags & 1) === 1, reuseAddr: (flags & 4) === 4 });
    this.socket.unref();
    this.ready = once(this.socket, 'listening').then(() => {
      this.port = this.socket.address().port;
      // The primary only holds the socket: datagrams are for the workers to read.
      handleOf(this.socket)?.recvStop();
    });
    // A failed bind rejects `ready` (once() rejects on 'error').
    this.ready.catch(() => {});
    if (Number.isInteger(fd) && fd > 0) this.socket.bind({ fd, exclusive: true });
    else this.socket.bind({ port, address: host, exclusive: true });
  }

  /**
   * Sends a copy of the socket to `worker` once bound. The worker counts as a user from the
   * start, so that another address's worker leaving meanwhile does not collect (close) this
   * socket while it is still binding.
   */
  async add(worker, sendFd) {
    this.users.add(worker);
    try {
      await this.ready;
    } catch (err) {
      this.users.delete(worker);
      throw err;
    }
    return { fd: true, token: sendFd(fdOf(this.socket)), port: this.port };
  }

  deposit() {}

  withdraw() {}

  /** @returns {boolean} true once no worker uses the socket any more */
  remove(worker) {
    this.users.delete(worker);
    return this.users.size === 0;
  }

  close() {
    try {
      this.socket.close();
    } catch {
      // never bound
    }
  }
}

module.exports = { UdpHandle };
