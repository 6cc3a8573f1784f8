'use strict';

/**
 * The primary side of the cluster: forks workers through the native spawner, answers their
 * internal messages (a table of handlers, as node:cluster's primary), hands out listening
 * sockets through one handle per address (`shared-handle.js`, `reuseport-handle.js`), and
 * drives restart (`restart.js`), reload (`reload.js`), shutdown and signals (`signals.js`).
 * Names and events follow node:cluster (`fork`, `online`, `listening`, `message`,
 * `disconnect`, `exit`), plus `restart` and `error`.
 * @module native-parallel/lib/cluster/primary
 */

const { EventEmitter } = require('node:events');
const os = require('node:os');
const errors = require('../errors');
const { loadNative } = require('../native');
const { validateSettings, validateEnv, validateForkOptions, validateListen } = require('./validate');
const { Worker, reportError } = require('./primary-worker');
const { Handles } = require('./handles');
const { onInternalMessage } = require('./primary-messages');
const { Restarts } = require('./restart');
const { reloadWorkers } = require('./reload');
const { SignalHandlers } = require('./signals');
const { defaults, spawnOptions, signalNames } = require('./spawn');
const { kState } = require('./symbols');

/** After a worker's process is reaped, how long its channel may take to report EOF. */
const CHANNEL_GRACE_MS = 1000;

const nativeCluster = () => loadNative('cluster').NativeCluster;

/**
 * @typedef {object} PrimaryState
 * @property {Primary} cluster
 * @property {any} native the NativeCluster (spawner and reaper), while workers run
 * @property {number} nextId
 * @property {number} tokens fd-passing tokens handed out
 * @property {Map<number, Worker>} byPid
 * @property {Handles} handles listening handles, per address
 * @property {() => void} collectHandles closes unused handles, unless a restart or reload may need them
 * @property {Restarts} restarts
 * @property {SignalHandlers} signals
 * @property {{ promise: Promise<void>, resolve: () => void, timer: NodeJS.Timeout | null } | null} shutdown
 * @property {Promise<void> | null} reload
 */

/** The `cluster` object in the primary. */
class Primary extends EventEmitter {
  isPrimary = true;
  isMaster = true;
  isWorker = false;
  /** The settings forks use (`setupPrimary` merges into them). */
  settings = {};
  /** @type {Record<number, Worker>} live workers by id */
  workers = {};
  worker = undefined;

  constructor() {
    super();
    /** @type {PrimaryState} */
    const state = {
      cluster: this,
      native: null,
      nextId: 0,
      tokens: 0,
      byPid: new Map(),
      handles: new Handles(),
      collectHandles: () => {
        if (state.restarts.pending === 0 && !state.reload) state.handles.collect();
      },
      restarts: new Restarts(),
      signals: new SignalHandlers(),
      shutdown: null,
      reload: null,
    };
    Object.defineProperty(this, kState, { value: state });
  }

  /**
   * Merges `settings` into `cluster.settings` (validated); later forks use them.
   * @param {object} [settings]
   */
  setupPrimary(settings = {}) {
    const given = validateSettings(settings);
    const current = Object.keys(this.settings).length === 0 ? defaults() : this.settings;
    if (given.balance !== undefined && given.balance !== current.balance && this.#liveCount() > 0) {
      throw errors.invalidState('settings.balance cannot change while workers are running');
    }
    if (given.restart) given.restart = { ...given.restart };
    this.settings = { ...current, ...given };
    process.nextTick(() => this.emit('setup', this.settings));
  }

  /**
   * Outside a worker this is `server.listen({ port, host, backlog })`, so one script can run
   * as a single process or as a cluster worker.
   * @param {import('node:net').Server} server
   * @param {{ port?: number, host?: string, backlog?: number }} [options]
   * @param {() => void} [callback] added as a `'listening'` listener
   */
  listen(server, options = {}, callback = undefined) {
    const { port, host, backlog } = validateListen(server, options);
    if (callback !== undefined && typeof callback !== 'function') throw errors.invalidArgType('callback', 'of type function', callback);
    server.listen({ port, host, backlog }, callback);
    return server;
  }

  /** Same as `setupPrimary` (node:cluster's old name). */
  setupMaster(settings) {
    return this.setupPrimary(settings);
  }

  /**
   * Starts a worker. `env` is added to `process.env` and `settings.env` for this worker.
   * `options.shared` hands SharedMemory objects to this worker (added to `settings.shared`):
   * the worker inherits their fds and finds them, mapped, as `cluster.shared[name]`. A worker
   * restarted or reloaded in its place gets the same memory.
   * @param {Record<string, string | number | boolean>} [env]
   * @param {{ shared?: Record<string, import('../shared-memory').SharedMemory> }} [options]
   * @returns {Worker}
   */
  fork(env = undefined, options = undefined) {
    const extra = env === undefined ? {} : validateEnv(env, 'env');
    const { shared } = options === undefined ? { shared: {} } : validateForkOptions(options);
    if (this[kState].shutdown) throw errors.invalidState('The cluster is shutting down');
    if (Object.keys(this.settings).length === 0) this.setupPrimary();
    if (typeof this.settings.exec !== 'string' || this.settings.exec.length === 0) {
      throw errors.invalidArgValue('settings.exec', this.settings.exec, 'must name the script workers run (setupPrimary({ exec }))');
    }
    return this.#fork({ env: extra, shared, restarts: [] }, null);
  }

  /**
   * Replaces every worker, one at a time: the new one is listening (or online, for a worker
   * with no server) before the old one stops accepting and drains. Resolves when done;
   * rejects when a new worker exits before it is ready (the old one keeps running).
   * @returns {Promise<void>}
   */
  reload() {
    const state = this[kState];
    if (state.shutdown) return Promise.reject(errors.invalidState('The cluster is shutting down'));
    if (state.reload) return state.reload;
    const ops = {
      shuttingDown: () => state.shutdown !== null,
      fork: (slot, replaces) => this.#fork(slot, replaces),
      disconnect: (worker) => this.disconnectWorker(worker),
      signal: (worker, signo) => this.signal(worker, signo),
      shutdownTimeoutMs: () => this.settings.shutdownTimeoutMs,
    };
    state.reload = reloadWorkers(Object.values(this.workers), ops).finally(() => {
      state.reload = null;
      this.#maybeIdle();
    });
    return state.reload;
  }

  /**
   * Disconnects every worker (each drains its in-flight requests), waits up to
   * `settings.shutdownTimeoutMs`, then SIGKILLs whatever is left. Resolves once every worker
   * has exited; nothing of the cluster keeps the process alive after that.
   * @returns {Promise<void>}
   */
  shutdown() {
    const state = this[kState];
    if (state.shutdown) return state.shutdown.promise;
    /** @type {() => void} */
    let resolve = () => {};
    const promise = new Promise((r) => {
      resolve = r;
    });
    state.shutdown = { promise, resolve, timer: null };
    state.restarts.cancel();
    const workers = Object.values(this.workers);
    for (const w of workers) if (w.isConnected()) this.disconnectWorker(w);
    if (workers.length > 0) {
      const timeout = this.settings.shutdownTimeoutMs ?? defaults().shutdownTimeoutMs;
      state.shutdown.timer = setTimeout(() => {
        for (const w of Object.values(this.workers)) this.signal(w, os.constants.signals.SIGKILL);
      }, timeout);
    }
    this.#maybeIdle();
    return promise;
  }

  /**
   * Calls `disconnect()` on every worker (as node:cluster does); `callback` runs once every one
   * of them has disconnected. Unlike `shutdown()` it never kills a worker that stays alive.
   * @param {() => void} [callback]
   */
  disconnect(callback = undefined) {
    if (callback !== undefined && typeof callback !== 'function') throw errors.invalidArgType('callback', 'of type function', callback);
    const connected = Object.values(this.workers).filter((w) => w.isConnected());
    let left = connected.length;
    const done = () => {
      if (--left === 0 && callback) callback();
    };
    for (const w of connected) {
      w.once('disconnect', done);
      this.disconnectWorker(w);
    }
    if (connected.length === 0 && callback) process.nextTick(callback);
  }

  /** @internal Primary-initiated disconnect of one worker. */
  disconnectWorker(worker) {
    worker.exitedAfterDisconnect = true;
    const { channel } = worker[kState];
    if (!channel.open) return;
    // Without a successor its SO_REUSEPORT sockets must go once the worker stops accepting:
    // drop our copies now so the worker's close really closes them.
    this[kState].handles.withdraw(worker);
    channel.sendInternal({ act: 'disconnect' });
  }

  /** @internal Sends a signal to a worker's process; false when it is already gone. */
  signal(worker, signo) {
    const { native } = this[kState];
    if (worker.isDead() || native === null) return false;
    try {
      return native.kill(worker.process.pid, signo);
    } catch (err) {
      throw errors.systemError(err, 'kill');
    }
  }

  #liveCount() {
    return Object.keys(this.workers).length;
  }

  #ensureNative() {
    const state = this[kState];
    if (state.native === null) {
      const { NativeCluster } = loadNative('cluster');
      state.native = new NativeCluster((batch) => this.#onExits(batch));
    }
    return state.native;
  }

  #fork(slot, replaces) {
    const state = this[kState];
    const s = this.settings;
    const native = this.#ensureNative();
    const id = ++state.nextId;
    let spawned;
    try {
      const options = spawnOptions(s, slot, id);
      try {
        spawned = native.spawn(options);
      } catch (err) {
        throw errors.systemError(err, 'spawn', { path: process.execPath, spawnargs: [s.exec, ...s.args] });
      }
    } catch (err) {
      this.#maybeIdle();
      throw err;
    }
    const worker = new Worker(this, id, spawned, s.serialization, slot, replaces);
    worker[kState].balance = s.balance;
    this.workers[id] = worker;
    state.byPid.set(spawned.pid, worker);
    if (s.handleSignals !== false) state.signals.install(() => this.shutdown());
    const { channel } = worker[kState];
    channel.on('message', (message) => {
      worker.emit('message', message);
      this.emit('message', worker, message);
    });
    channel.on('internal', (message) => onInternalMessage(state, worker, message));
    channel.on('error', (err) => {
      err.workerId = worker.id;
      reportError(this, worker, err);
    });
    channel.on('close', () => this.#onChannelClose(worker));
    process.nextTick(() => this.emit('fork', worker));
    return worker;
  }

  #onChannelClose(worker) {
    const record = worker[kState];
    this[kState].handles.withdraw(worker);
    if (worker.state !== 'dead') worker.state = 'disconnected';
    if (record.exit !== null && record.exit.timer) clearTimeout(record.exit.timer);
    worker.emit('disconnect');
    this.emit('disconnect', worker);
    if (record.exit !== null) this.#finishExit(worker);
  }

  #onExits(batch) {
    const state = this[kState];
    for (let i = 0; i < batch.length; i += 3) {
      const worker = state.byPid.get(batch[i]);
      if (worker === undefined) continue;
      state.byPid.delete(batch[i]);
      const code = batch[i + 1];
      const signo = batch[i + 2];
      worker.process.exitCode = signo === 0 ? code : null;
      worker.process.signalCode = signo === 0 ? null : /** @type {NodeJS.Signals} */ (signalNames[signo] ?? `SIG${signo}`);
      const record = worker[kState];
      record.exit = { timer: null };
      if (worker.isConnected()) {
        // The process is gone, so EOF is on its way; deliver the last messages first.
        record.exit.timer = setTimeout(() => record.channel.destroy(), CHANNEL_GRACE_MS);
      } else {
        this.#finishExit(worker);
      }
    }
    // The spawner stopped holding the loop for these; close the native side if idle.
    this.#maybeIdle();
  }

  #finishExit(worker) {
    const state = this[kState];
    const record = worker[kState];
    if (record.done) return;
    record.done = true;
    worker.state = 'dead';
    worker.exitedAfterDisconnect = !!worker.exitedAfterDisconnect;
    if (record.controlFd >= 0) {
      nativeCluster().closeFd(record.controlFd);
      record.controlFd = -1;
    }
    for (const stream of [worker.process.stdout, worker.process.stderr]) {
      // Unread output must not hold the pipe (and the event loop) open.
      if (stream && stream.listenerCount('data') === 0 && !stream.readableFlowing) stream.resume();
    }
    state.handles.removeWorker(worker);
    delete this.workers[worker.id];
    const { exitCode, signalCode } = worker.process;
    const crashed = exitCode !== 0;
    // A reload's new worker that dies before it is ready is not restarted: the old one stays.
    const unexpected = !worker.exitedAfterDisconnect && !record.killed && !record.replaces && !state.shutdown;
    if (unexpected && crashed) this.#scheduleRestart(worker);
    worker.emit('exit', exitCode, signalCode);
    this.emit('exit', worker, exitCode, signalCode);
    state.collectHandles();
    this.#maybeIdle();
  }

  #scheduleRestart(worker) {
    const state = this[kState];
    const slot = worker[kState].slot;
    const onLimit = (err) => reportError(this, null, err);
    state.restarts.schedule(this.settings.restart, worker, slot, onLimit, () => {
      if (state.shutdown) return;
      let next;
      try {
        next = this.#fork(slot, null);
      } catch (err) {
        reportError(this, null, err);
        state.collectHandles();
        this.#maybeIdle();
        return;
      }
      process.nextTick(() => this.emit('restart', next, worker));
    });
  }

  /** With no worker left and nothing pending, let go of everything native and global. */
  #maybeIdle() {
    const state = this[kState];
    if (this.#liveCount() > 0 || state.restarts.pending > 0 || state.reload) return;
    state.collectHandles();
    state.signals.uninstall();
    if (state.native !== null && state.byPid.size === 0) {
      state.native.close();
      state.native = null;
    }
    const shutdown = state.shutdown;
    if (shutdown) {
      if (shutdown.timer) clearTimeout(shutdown.timer);
      state.shutdown = null;
      shutdown.resolve();
    }
  }
}

module.exports = { Primary, Worker };
