'use strict';

/**
 * A worker's listening (node:cluster's `child.js` `_getServer`, `shared` and `rr`), mixed into
 * the worker's state: `require('node:cluster')._getServer`, which net and dgram call in a
 * worker, lands in `getServer`. A TCP listen gets its socket through the primary (the shared
 * one, one handed over in a reload) or makes a SO_REUSEPORT socket; a UDP bind gets the
 * primary's socket; pipes, paths and fds listen here. The handle's `close` is wrapped so that
 * closing the server leaves the balance at once, as node does.
 * @module native-parallel/lib/cluster/worker-servers
 */

const net = require('node:net');
const os = require('node:os');
const errors = require('../errors');

function hasIPv6() {
  return Object.values(os.networkInterfaces()).some((list) => (list || []).some((i) => i.family === 'IPv6'));
}

/** A negative errno (libuv's error numbers on Unix) for an error `code`. */
function uvErrno(code) {
  const n = /** @type {Record<string, number>} */ (os.constants.errno)[code];
  return n ? -n : -os.constants.errno.EINVAL;
}

/** @type {Record<string, Function>} methods of the worker's state (`this`) */
const serverMethods = {
  /**
   * `require('node:cluster')._getServer(obj, options, cb)`, which net and dgram call in a
   * worker for every listen/bind that is not `exclusive`.
   * @param {any} obj a net.Server or a dgram.Socket
   * @param {{ address: string | null, port: number, addressType: number | string, fd?: number, flags?: number, backlog?: number }} options
   * @param {(errno: number, handle: any) => void} cb
   */
  getServer(obj, options, cb) {
    const { addressType, fd } = options;
    if (addressType === 'udp4' || addressType === 'udp6') {
      this.bindUdp(obj, options, cb);
      return;
    }
    if ((typeof fd === 'number' && fd >= 0) || typeof addressType !== 'number' || addressType < 0 || !(options.port >= 0)) {
      // A pipe, a path or an inherited fd: listened on here, as in a single process (and, as
      // node:cluster's handles, closed when the worker disconnects).
      obj._listen2(options.address, options.port, addressType, options.backlog, fd, options.flags);
      if (obj._handle) this.track(obj, obj._handle, null, null);
      return;
    }
    this.listenTcp(obj, options).then(
      (handle) => handle && cb(0, handle),
      (err) => cb(uvErrno(err.code), null),
    );
  },

  /** The key of the next listen on this address (a second server on port 0 gets a port of its own). */
  nextKey(host, port, kind) {
    const base = `${kind}:${host}:${port}`;
    const index = this.indexes.get(base) ?? 0;
    this.indexes.set(base, index + 1);
    return `${base}:${index}`;
  },

  /**
   * Gets a listening socket from the primary (the shared one, or one handed over by the worker
   * this one replaces) or makes a SO_REUSEPORT socket, and returns a TCP handle on it.
   */
  async listenTcp(server, { address, port, addressType, flags, backlog }) {
    if (this.disconnecting) throw errors.ipcChannelClosed();
    const ip = address || (hasIPv6() ? '::' : '0.0.0.0');
    const ipv6Only = ((flags ?? 0) & 1) === 1;
    const key = this.nextKey(ip, port, ipv6Only ? 'tcp6only' : 'tcp');
    const reply = await this.request({ act: 'listen', key, host: ip, port, backlog: backlog || 511, ipv6Only });
    if (reply.error) throw errors.systemError(reply.error, reply.error.syscall || 'listen', { address: ip, port });
    if (this.disconnecting) {
      // The disconnect came with the reply, before this server could be tracked (and closed):
      // it never listens, as node's primary ignores the listens of a worker that is leaving.
      if (reply.fd) this.native.closeFd(this.receiveFd(reply.token));
      return null;
    }
    let fd;
    if (reply.fd) {
      fd = this.receiveFd(reply.token);
    } else {
      try {
        fd = this.native.bind(ip, reply.port, backlog || 511, 'reuseport', ipv6Only)[0];
      } catch (err) {
        throw errors.systemError(err, 'bind', { address: ip, port: reply.port });
      }
      // The primary keeps a copy, so a worker that replaces this one (reload) can take over
      // this very socket and nothing waiting in its accept queue is lost.
      const token = ++this.tokens;
      this.native.sendFd(this.controlFd, fd, token);
      this.channel.sendInternal({ act: 'deposit', key, token });
    }
    const handle = net._createServerHandle(null, null, null, fd);
    if (typeof handle === 'number') {
      this.native.closeFd(fd);
      throw errors.systemError({ code: Object.entries(os.constants.errno).find(([, n]) => -n === handle)?.[0] }, 'listen');
    }
    this.track(server, handle, key, { address, addressType, port });
    return handle;
  },

  /**
   * A UDP bind: every worker shares the primary's socket, as in node:cluster. `bind({ fd })`
   * names a descriptor of the primary's, as there: the primary opens it and shares it.
   */
  bindUdp(socket, options, cb) {
    const { addressType } = options;
    const fd = typeof options.fd === 'number' && options.fd > 0 ? options.fd : undefined;
    const key = this.nextKey(fd === undefined ? options.address : `fd${fd}`, options.port, addressType);
    this.request({ act: 'listen', key, udp: addressType, host: options.address, port: options.port, fd, flags: options.flags ?? 0 }).then((reply) => {
      if (reply.error) {
        cb(uvErrno(reply.error.code), null);
        return;
      }
      if (this.disconnecting) {
        // As a TCP listen: a worker that is leaving does not start using the socket.
        this.native.closeFd(this.receiveFd(reply.token));
        return;
      }
      let handle;
      try {
        handle = udpHandle(addressType, this.receiveFd(reply.token));
      } catch (err) {
        cb(uvErrno(err.code), null);
        return;
      }
      this.track(socket, handle, key, { address: options.address, addressType, port: options.port });
      cb(0, handle);
    });
  },

  receiveFd(expected) {
    const [fd, token] = this.native.recvFd(this.controlFd);
    if (token !== expected) {
      this.native.closeFd(fd);
      throw errors.invalidState(`Received listening socket ${token}, expected ${expected}`);
    }
    return fd;
  },

  /**
   * Follows a server (or UDP socket) the primary knows of: `listening` is reported, closing
   * its handle leaves the balance (node:cluster patches `handle.close` the same way), and a
   * disconnect drains it.
   */
  track(obj, handle, key, requested) {
    const isServer = obj instanceof net.Server;
    const entry = { server: obj, key, drain: isServer ? require('./drain').trackServer(obj).drain : (cb) => obj.close(cb) };
    this.servers.add(entry);
    const close = handle.close;
    let left = false;
    handle.close = (...args) => {
      if (!left) {
        left = true;
        this.servers.delete(entry);
        if (key !== null && this.channel.writable) this.channel.sendInternal({ act: 'unlisten', key });
      }
      return close.apply(handle, args);
    };
    if (key === null) return;
    obj.once('listening', () => {
      if (left) return;
      this.worker.state = 'listening';
      const a = obj.address();
      const address = { addressType: requested.addressType, address: requested.address, port: (a && a.port) || requested.port, fd: undefined };
      this.channel.sendInternal({ act: 'listening', key, address });
    });
  },
};


/** A UDP handle of `type` on `fd` (made by a throwaway socket, since dgram keeps its constructor private). */
function udpHandle(type, fd) {
  const dgram = require('node:dgram');
  const holder = dgram.createSocket(type);
  const stateKey = Object.getOwnPropertySymbols(holder).find((s) => s.description === 'state symbol');
  const handle = stateKey && holder[stateKey].handle;
  if (!handle || typeof handle.open !== 'function') throw errors.makeError(Error, 'ERR_FEATURE_UNAVAILABLE', 'dgram sockets cannot be shared in cluster workers on this Node version');
  const err = handle.open(fd);
  if (err) throw errors.systemError({ code: 'EINVAL' }, 'open');
  return handle;
}

module.exports = { serverMethods, udpHandle, uvErrno };
