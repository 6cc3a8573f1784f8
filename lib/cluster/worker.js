'use strict';

/**
 * The worker side of the cluster. A worker is started by the primary with its IPC channel on
 * fd 3, its control socket (fd passing) on fd 4, and `--require lib/cluster/bootstrap.js`,
 * which calls `setupWorker()` before the user's script runs: the worker says `online` at once,
 * whether or not the script ever loads this package.
 *
 * The state lives on `globalThis` under a registered symbol, so every copy of the package a
 * worker may load shares one channel.
 * @module native-parallel/lib/cluster/worker
 */

const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const os = require('node:os');
const errors = require('../errors');
const { loadNative } = require('../native');
const { Channel } = require('./channel');
const validate = () => require('./validate');

const { kWorkerState: kState } = require('./symbols');
const ENV = ['NATIVE_PARALLEL_IPC_FD', 'NATIVE_PARALLEL_CONTROL_FD', 'NATIVE_PARALLEL_WORKER_ID', 'NATIVE_PARALLEL_SERIALIZATION', 'NATIVE_PARALLEL_ADDON', 'NATIVE_PARALLEL_SHARED'];

/** True in a process the native cluster started. */
function isWorkerProcess() {
  return globalThis[kState] !== undefined || process.env.NATIVE_PARALLEL_IPC_FD !== undefined;
}

function hasIPv6() {
  return Object.values(os.networkInterfaces()).some((list) => (list || []).some((i) => i.family === 'IPv6'));
}

/** `cluster.worker` in a worker: the handle to this process and its channel to the primary. */
class WorkerHandle extends EventEmitter {
  /** @type {boolean | undefined} */
  exitedAfterDisconnect = undefined;
  state = 'online';

  /**
   * @param {number} id
   * @param {WorkerState} state
   */
  constructor(id, state) {
    super();
    /** The worker's id, the same number as `worker.id` in the primary. */
    this.id = id;
    /** This process. */
    this.process = process;
    Object.defineProperty(this, kState, { value: state });
    // The channel keeps the worker alive only while someone listens for messages (as
    // node:cluster does): a worker with nothing to do exits.
    this.on('newListener', (event) => {
      if (event === 'message') process.nextTick(() => state.updateRef());
    });
    this.on('removeListener', (event) => {
      if (event === 'message') process.nextTick(() => state.updateRef());
    });
  }

  /** This process's pid. */
  get pid() {
    return process.pid;
  }

  /**
   * Sends a message to the primary. Throws at once when it cannot be serialized.
   * @param {unknown} message
   * @param {(err: Error | null) => void} [callback]
   */
  send(message, callback) {
    return this[kState].send(message, callback);
  }

  /** Stops accepting, lets in-flight requests finish, then closes the channel. */
  disconnect() {
    this[kState].disconnect(false);
    return this;
  }

  /** Kills this process with `signal` (default SIGTERM). */
  kill(signal = 'SIGTERM') {
    validate().validateSignal(signal, 'signal');
    this.exitedAfterDisconnect = true;
    process.kill(process.pid, signal);
  }

  destroy(signal) {
    this.kill(signal);
  }

  isConnected() {
    return this[kState].channel.open;
  }

  isDead() {
    return false;
  }
}

class WorkerState {
  /** @type {Map<number, (reply: any) => void>} */
  pending = new Map();
  /** @type {Set<{ server: any, key: string, drain: (cb: () => void) => void }>} */
  servers = new Set();
  seq = 0;
  tokens = 0;
  disconnecting = false;

  /**
   * @param {number} id
   * @param {number} ipcFd
   * @param {number} controlFd
   * @param {'advanced' | 'json'} serialization
   * @param {string | undefined} addon the addon's path as the primary loaded it
   * @param {[string, number][]} sharedFds SharedMemory fds the primary handed over, by name
   */
  constructor(id, ipcFd, controlFd, serialization, addon, sharedFds) {
    this.id = id;
    this.sharedFds = sharedFds;
    /** @type {Record<string, import('../shared-memory').SharedMemory> | undefined} */
    this.shared = undefined;
    this.ipcFd = ipcFd;
    this.controlFd = controlFd;
    this.serialization = serialization;
    this.channel = new Channel(ipcFd, serialization);
    this.worker = new WorkerHandle(id, this);
    this.cluster = new WorkerCluster(this);
    this.channel.on('message', (message) => this.worker.emit('message', message));
    this.channel.on('internal', (message) => this.onInternal(message));
    this.channel.on('error', (err) => {
      if (this.worker.listenerCount('error') > 0) this.worker.emit('error', err);
      else process.emitWarning(err.message, { type: err.name, code: err.code });
    });
    this.channel.on('close', () => this.onClose());
    this.updateRef();
    process.on('exit', () => {
      try {
        this.channel.flushSync((buf) => fs.writeSync(ipcFd, buf));
      } catch {
        // The primary is gone or the socket is full: nothing more can be done at exit.
      }
    });
    this.channel.sendInternal({ act: 'online' });
    // Now, not at the end of the tick: ticks queued by a --require preload run only after the
    // main script has loaded, and 'online' means the process is up, as in node:cluster.
    this.channel.flushNow();
    // Still before the user's script runs: our own children must not inherit the channel (they
    // would hold it open). The primary passes the addon's path, saving the platform probe.
    let native;
    try {
      native = addon ? require(addon) : loadNative('cluster');
    } catch {
      native = loadNative('cluster');
    }
    this.native = native.NativeCluster;
    this.native.setCloexec(ipcFd);
    this.native.setCloexec(controlFd);
    for (const [, fd] of sharedFds) this.native.setCloexec(fd);
  }

  /** Maps the SharedMemory the primary handed over (once), closing the inherited fds. */
  openShared() {
    if (this.shared === undefined) {
      const { SharedMemory } = require('../shared-memory');
      const shared = Object.create(null);
      for (const [name, fd] of this.sharedFds) {
        shared[name] = SharedMemory.fromFd(fd);
        this.native.closeFd(fd);
      }
      this.shared = Object.freeze(shared);
    }
    return this.shared;
  }

  updateRef() {
    this.channel.ref(this.pending.size > 0 || this.worker.listenerCount('message') > 0);
  }

  send(message, callback) {
    if (callback !== undefined && typeof callback !== 'function') throw errors.invalidArgType('callback', 'of type function', callback);
    if (!this.channel.open) {
      const err = errors.ipcChannelClosed();
      if (callback) process.nextTick(callback, err);
      else process.nextTick(() => this.worker.emit('error', err));
      return false;
    }
    return this.channel.send(message, callback);
  }

  onInternal(message) {
    const handler = Object.hasOwn(workerHandlers, message.act) ? workerHandlers[message.act] : undefined;
    if (handler) handler(this, message);
  }

  /** @param {boolean} primaryInitiated */
  disconnect(primaryInitiated) {
    if (this.disconnecting || !this.channel.open) return;
    this.disconnecting = true;
    this.worker.exitedAfterDisconnect = true;
    this.worker.state = 'disconnecting';
    if (!primaryInitiated) this.channel.sendInternal({ act: 'exitedAfterDisconnect' });
    let left = this.servers.size;
    const closed = () => {
      left -= 1;
      if (left <= 0) this.channel.end();
    };
    if (left === 0) {
      this.channel.end();
      return;
    }
    for (const entry of [...this.servers]) entry.drain(closed);
  }

  onClose() {
    for (const [, resolve] of this.pending) resolve({ error: { code: 'ERR_IPC_CHANNEL_CLOSED', message: 'Channel closed' } });
    this.pending.clear();
    this.worker.state = 'disconnected';
    this.worker.emit('disconnect');
    // The primary went away (or closed the channel) without asking: nothing supervises this
    // process any more, so it ends, as a node:cluster worker does.
    if (!this.worker.exitedAfterDisconnect) process.exit(0);
  }

  request(message) {
    return new Promise((resolve) => {
      const seq = ++this.seq;
      this.pending.set(seq, resolve);
      this.updateRef();
      if (!this.channel.sendInternal({ ...message, seq })) {
        this.pending.delete(seq);
        this.updateRef();
        resolve({ error: { code: 'ERR_IPC_CHANNEL_CLOSED', message: 'Channel closed' } });
      }
    });
  }

  /**
   * Gets a listening fd from the primary (shared socket, or a socket handed over by the
   * worker this one replaces) or makes a SO_REUSEPORT socket, then lets `server` adopt it.
   */
  async listen(server, { port, host, backlog }) {
    let ip = host;
    if (ip === undefined) ip = hasIPv6() ? '::' : '0.0.0.0';
    else if (!validate().isIp(ip)) ip = (await require('node:dns').promises.lookup(ip)).address;
    if (this.disconnecting) throw errors.ipcChannelClosed();
    const reply = await this.request({ act: 'listen', host: ip, port, backlog });
    if (reply.error) {
      throw errors.systemError(reply.error, reply.error.syscall || 'listen', { address: ip, port });
    }
    let fd;
    if (reply.fd) {
      const [got, token] = this.native.recvFd(this.controlFd);
      if (token !== reply.token) {
        this.native.closeFd(got);
        throw errors.invalidState(`Received listening socket ${token}, expected ${reply.token}`);
      }
      fd = got;
    } else {
      try {
        fd = this.native.bind(ip, reply.port, backlog, 'reuseport')[0];
      } catch (err) {
        throw errors.systemError(err, 'bind', { address: ip, port: reply.port });
      }
      // The primary keeps a copy, so a worker that replaces this one (reload) can take over
      // this very socket and nothing waiting in its accept queue is lost.
      const token = ++this.tokens;
      this.native.sendFd(this.controlFd, fd, token);
      this.channel.sendInternal({ act: 'deposit', key: reply.key, token });
    }
    const tracked = require('./drain').trackServer(server);
    const entry = { server, key: reply.key, drain: tracked.drain };
    this.servers.add(entry);
    server.once('listening', () => {
      const a = server.address();
      const address = a && typeof a === 'object' ? { address: a.address, port: a.port, addressType: a.family === 'IPv6' ? 6 : 4 } : { address: ip, port: reply.port, addressType: 4 };
      this.channel.sendInternal({ act: 'listening', key: reply.key, address });
    });
    server.once('close', () => {
      this.servers.delete(entry);
      this.channel.sendInternal({ act: 'unlisten', key: reply.key });
    });
    server.listen({ fd, backlog });
  }
}

/**
 * Internal messages from the primary, by `act`.
 * @type {Record<string, (state: WorkerState, message: any) => void>}
 */
const workerHandlers = {
  disconnect(state) {
    state.disconnect(true);
  },
  listenReply(state, message) {
    const resolve = state.pending.get(message.seq);
    if (!resolve) return;
    state.pending.delete(message.seq);
    state.updateRef();
    resolve(message);
  },
};

/** The `cluster` object in a worker. */
class WorkerCluster extends EventEmitter {
  isPrimary = false;
  isMaster = false;
  isWorker = true;
  settings = {};
  workers = undefined;

  /** @param {WorkerState} state */
  constructor(state) {
    super();
    Object.defineProperty(this, kState, { value: state });
  }

  /** This worker. */
  get worker() {
    return this[kState].worker;
  }

  /**
   * The SharedMemory objects the primary handed to this worker (`cluster.fork(env, { shared })`
   * or `settings.shared`), by name: the same bytes the primary and the other workers see.
   * Mapped on first access.
   * @returns {Record<string, import('../shared-memory').SharedMemory>}
   */
  get shared() {
    return this[kState].openShared();
  }

  /**
   * Listens on `options.port`/`options.host` the cluster's way (see `setupPrimary`'s
   * `balance`). Errors are emitted on `server` as `'error'`, like `server.listen`.
   * @param {import('node:net').Server} server
   * @param {{ port?: number, host?: string, backlog?: number }} [options]
   * @param {() => void} [callback] added as a `'listening'` listener
   */
  listen(server, options = {}, callback = undefined) {
    const opts = validate().validateListen(server, options);
    if (callback !== undefined) {
      if (typeof callback !== 'function') throw errors.invalidArgType('callback', 'of type function', callback);
      server.once('listening', callback);
    }
    this[kState].listen(server, opts).catch((err) => server.emit('error', err));
    return server;
  }

  setupPrimary() {
    throw errors.invalidState('setupPrimary() can only be called in the primary');
  }

  setupMaster() {
    return this.setupPrimary();
  }

  fork() {
    throw errors.invalidState('fork() can only be called in the primary');
  }

  reload() {
    return Promise.reject(errors.invalidState('reload() can only be called in the primary'));
  }

  shutdown() {
    return Promise.reject(errors.invalidState('shutdown() can only be called in the primary'));
  }
}

/**
 * Sets up this worker (once per process): reads and removes the environment the primary
 * passed, opens the channel and says `online`. Returns the worker-side `cluster` object, or
 * undefined when this process is not a cluster worker.
 * @returns {WorkerCluster | undefined}
 */
function setupWorker() {
  const existing = globalThis[kState];
  if (existing) return existing.cluster;
  const env = process.env;
  if (env.NATIVE_PARALLEL_IPC_FD === undefined) return undefined;
  const ipcFd = Number(env.NATIVE_PARALLEL_IPC_FD);
  const controlFd = Number(env.NATIVE_PARALLEL_CONTROL_FD);
  const id = Number(env.NATIVE_PARALLEL_WORKER_ID);
  const serialization = env.NATIVE_PARALLEL_SERIALIZATION === 'json' ? 'json' : 'advanced';
  const addon = env.NATIVE_PARALLEL_ADDON;
  const sharedFds = parseShared(env.NATIVE_PARALLEL_SHARED);
  for (const key of ENV) delete env[key];
  const state = new WorkerState(id, ipcFd, controlFd, serialization, addon, sharedFds);
  Object.defineProperty(globalThis, kState, { value: state, configurable: false, enumerable: false });
  return state.cluster;
}

/**
 * `[[name, fd], ...]` from the primary's NATIVE_PARALLEL_SHARED (anything malformed is dropped:
 * it was not written by a primary of this package).
 * @param {string | undefined} text
 * @returns {[string, number][]}
 */
function parseShared(text) {
  if (text === undefined) return [];
  try {
    const list = JSON.parse(text);
    if (!Array.isArray(list)) return [];
    return list.filter((e) => Array.isArray(e) && typeof e[0] === 'string' && Number.isInteger(e[1]) && e[1] > 2);
  } catch {
    return [];
  }
}

module.exports = { setupWorker, isWorkerProcess, WorkerCluster, WorkerHandle };
