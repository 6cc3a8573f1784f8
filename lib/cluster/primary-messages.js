'use strict';

/**
 * The primary's handlers of internal messages from a worker, by `act` (node:cluster's
 * `methodMessageMapping`). Each runs with the primary's state, the worker and the message.
 * @module native-parallel/lib/cluster/primary-messages
 */

const errors = require('../errors');
const { loadNative } = require('../native');
const { reportError } = require('./primary-worker');
const { kState } = require('./symbols');

const nativeCluster = () => loadNative('cluster').NativeCluster;

/** @type {Record<string, (state: any, worker: any, message: any) => void>} */
const handlers = {
  online(state, worker) {
    worker.state = 'online';
    worker.emit('online');
    state.cluster.emit('online', worker);
  },

  /** A worker asks for a listening socket: the shared one, a handed-over one, or a port. */
  listen(state, worker, { seq, key, host, port, backlog, ipv6Only, udp, fd, flags }) {
    const record = worker[kState];
    if (worker.exitedAfterDisconnect) return; // as node:cluster: it is leaving
    let body;
    try {
      const kind = udp ? 'udp' : record.balance;
      const handle = state.handles.obtain(key, kind, { host, port, backlog, ipv6Only, udp, fd, flags });
      const sendFd = (fd) => {
        const token = ++state.tokens;
        nativeCluster().sendFd(record.controlFd, fd, token);
        return token;
      };
      body = handle.add(worker, sendFd, port, record.replaces);
    } catch (err) {
      body = { error: { code: err.code, message: err.message, syscall: udp ? 'bind' : 'listen' } };
    }
    const reply = (b) => record.channel.sendInternal({ act: 'listenReply', seq, key, ...b });
    if (typeof body.then === 'function') body.then(reply, (err) => reply({ error: { code: err.code, message: err.message, syscall: 'bind' } }));
    else reply(body);
  },

  /** A worker hands over a copy of its own socket (reuseport), kept for a reload. */
  deposit(state, worker, { key, token }) {
    const record = worker[kState];
    let fd;
    let got;
    try {
      [fd, got] = nativeCluster().recvFd(record.controlFd);
    } catch (err) {
      reportError(state.cluster, worker, errors.systemError(err, 'recvmsg'));
      return;
    }
    const handle = state.handles.get(key);
    if (got !== token || !worker.isConnected() || worker.exitedAfterDisconnect || handle === undefined) {
      nativeCluster().closeFd(fd);
      return;
    }
    handle.deposit(worker, fd);
  },

  listening(state, worker, { key, address }) {
    const info = { addressType: address.addressType, address: address.address, port: address.port, fd: address.fd };
    worker.state = 'listening';
    worker[kState].keys.add(key);
    worker.emit('listening', info);
    state.cluster.emit('listening', worker, info);
  },

  unlisten(state, worker, { key }) {
    worker[kState].keys.delete(key);
    state.handles.get(key)?.remove(worker);
    state.collectHandles();
  },

  exitedAfterDisconnect(state, worker) {
    worker.exitedAfterDisconnect = true;
  },
};

/**
 * Runs the handler for `message.act` (unknown acts are ignored).
 * @param {any} state the primary's state
 * @param {any} worker
 * @param {{ act: string }} message
 */
function onInternalMessage(state, worker, message) {
  const handler = Object.hasOwn(handlers, message.act) ? handlers[message.act] : undefined;
  if (handler) handler(state, worker, message);
}

module.exports = { onInternalMessage, handlers };
