'use strict';

/**
 * The primary side of the cluster (node:cluster's `primary.js`): forks workers through the
 * native spawner, answers their internal messages (`primary-messages.js`), hands out listening
 * sockets through one handle per address (`handles.js`), and drives restart (`restart.js`),
 * reload (`reload.js`), shutdown and signals (`signals.js`). `cluster.settings` holds exactly
 * node:cluster's fields; the native extras (`balance`, `restart`, `shutdownTimeoutMs`,
 * `handleSignals`, `env`, `shared`) are accepted by `setupPrimary` and kept in
 * `cluster.nativeSettings`. Events, their order and `exitedAfterDisconnect` follow node:cluster,
 * plus `restart` and `error`.
 * @module native-parallel/lib/cluster/primary
 */

const { EventEmitter } = require('node:events');
const os = require('node:os');
const errors = require('../errors');
const { loadNative } = require('../native');
const { validateSettings, validateEnv, validateForkOptions, validateListen } = require('./validate');
const { Worker } = require('./common-worker');
const { PrimaryWorker, reportError } = require('./primary-worker');
const { Handles } = require('./handles');
const { onInternalMessage } = require('./primary-messages');
const { Restarts } = require('./restart');
const { reloadWorkers } = require('./reload');
const { SignalHandlers } = require('./signals');
const { nodeDefaults, nativeDefaults, restartDefaults, spawnOptions } = require('./spawn');
const { signalName } = require('../internal/signals');
const { kState } = require('./symbols');

/** After a worker's process is reaped, how long its channel may take to report EOF. */
const CHANNEL_GRACE_MS = 1000;
const SCHED_NONE = 1;
const SCHED_RR = 2;

const nativeCluster = () => loadNative('cluster').NativeCluster;

/** node:cluster's default policy: NODE_CLUSTER_SCHED_POLICY, else round-robin. */
function defaultPolicy() {
  const env = process.env.NODE_CLUSTER_SCHED_POLICY;
  return env === 'none' ? SCHED_NONE : SCHED_RR;
}

/**
 * @typedef {object} PrimaryState
 * @property {Primary} cluster
 * @property {any} native the NativeCluster (spawner and reaper), while workers run
 * @property {Record<string, any>} options the native extras (see `nativeDefaults`)
 * @property {boolean} initialized setupPrimary ran once (the scheduling policy is frozen)
 * @property {number} nextId
 * @property {number} tokens fd-passing tokens handed out
 * @property {Map<number, PrimaryWorker>} byPid workers whose exit is not yet reported, by pid
 * @property {Map<number, PrimaryWorker>} live workers whose exit is not yet reported, by id
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
  /** node:cluster's settings (`setupPrimary` merges into them; `fork()` reads them). */
  settings = {};
  /** @type {Record<number, PrimaryWorker>} workers by id, removed as node:cluster removes them */
  workers = {};
  worker = undefined;
  Worker = Worker;
  SCHED_NONE = SCHED_NONE;
  SCHED_RR = SCHED_RR;
  /** How connections are spread: SCHED_RR (the default: `'reuseport'`) or SCHED_NONE (`'shared'`); frozen at the first setupPrimary/fork. */
  schedulingPolicy = defaultPolicy();

  constructor() {
    super();
    /** @type {PrimaryState} */
    const state = {
      cluster: this,
      native: null,
      options: nativeDefaults(),
      initialized: false,
      nextId: 0,
      tokens: 0,
      byPid: new Map(),
      live: new Map(),
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
    // As node:cluster's functions, these work unbound (`const { fork } = cluster`).
    for (const name of ['setupPrimary', 'setupMaster', 'fork', 'disconnect', 'reload', 'shutdown', 'listen']) {
      Object.defineProperty(this, name, { value: this[name].bind(this), writable: true, configurable: true });
    }
  }

  /** The native extras in effect: `{ env, balance, restart, shutdownTimeoutMs, handleSignals, shared }`. */
  get nativeSettings() {
    const { options } = this[kState];
    return { ...options, balance: this.#balance() };
  }

  /**
   * Merges `settings` into `cluster.settings` (node:cluster's fields) and the native extras
   * (validated); later forks use them. Emits `'setup'` on the next tick, as node:cluster.
   * @param {object} [settings]
   */
  setupPrimary(settings = undefined) {
    const state = this[kState];
    const given = validateSettings(settings ?? {});
    // What the user may have assigned to cluster.settings directly is checked too.
    validateSettings(this.settings, { strict: false });
    if (given.native.balance !== undefined && given.native.balance !== this.#balance() && state.live.size > 0) {
      throw errors.invalidState('settings.balance cannot change while workers are running');
    }
    if (!state.initialized) {
      state.initialized = true;
      if (this.schedulingPolicy !== SCHED_NONE && this.schedulingPolicy !== SCHED_RR) {
        throw errors.invalidArgValue('cluster.schedulingPolicy', this.schedulingPolicy, 'must be cluster.SCHED_RR or cluster.SCHED_NONE');
      }
      const policy = this.schedulingPolicy;
      Object.defineProperty(this, 'schedulingPolicy', { value: policy, writable: true, enumerable: true, configurable: true });
    }
    const next = { ...nodeDefaults(), ...this.settings, ...given.node };
    // As node:cluster: one V8 log per process with --prof.
    if (next.execArgv.some((a) => a.startsWith('--prof')) && !next.execArgv.some((a) => a.startsWith('--logfile='))) {
      next.execArgv = [...next.execArgv, '--logfile=v8-%p.log'];
    }
    this.settings = next;
    const native = { ...given.native };
    if (native.restart && typeof native.restart === 'object') native.restart = { ...restartDefaults(), ...native.restart };
    Object.assign(state.options, native);
    process.nextTick(() => this.emit('setup', next));
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
   * Starts a worker. `env` is added to `process.env` (and the `env` native setting) for this
   * worker. `options.shared` hands SharedMemory objects to this worker (added to the `shared`
   * native setting): the worker inherits their fds and finds them, mapped, as
   * `cluster.shared[name]`. A worker restarted or reloaded in its place gets the same memory.
   * @param {Record<string, string | number | boolean>} [env]
   * @param {{ shared?: Record<string, import('../shared-memory').SharedMemory> }} [options]
   * @returns {PrimaryWorker}
   */
  fork(env = undefined, options = undefined) {
    // node:cluster spreads whatever it is given into the environment (`{ ...env }`: a string or
    // an array gives one variable per element, other primitives none); only the values are checked.
    const extra = env === undefined || env === null ? {} : validateEnv(typeof env === 'object' && !Array.isArray(env) ? env : { ...env }, 'env');
    const { shared } = options === undefined ? { shared: {} } : validateForkOptions(options);
    if (this[kState].shutdown) throw errors.invalidState('The cluster is shutting down');
    this.setupPrimary();
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
      shutdownTimeoutMs: () => state.options.shutdownTimeoutMs,
    };
    state.reload = reloadWorkers([...state.live.values()], ops).finally(() => {
      state.reload = null;
      this.#maybeIdle();
    });
    return state.reload;
  }

  /**
   * Disconnects every worker (each drains its in-flight requests), waits up to
   * `shutdownTimeoutMs`, then SIGKILLs whatever is left. Resolves once every worker has
   * exited; nothing of the cluster keeps the process alive after that.
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
    const workers = [...state.live.values()];
    for (const w of workers) if (w.isConnected()) this.disconnectWorker(w);
    if (workers.length > 0) {
      state.shutdown.timer = setTimeout(() => {
        for (const w of state.live.values()) this.signal(w, os.constants.signals.SIGKILL);
      }, state.options.shutdownTimeoutMs);
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
    const connected = Object.values(this.workers).filter((w) => w.isConnected());
    let left = connected.length;
    const done = () => {
      if (--left === 0 && typeof callback === 'function') callback();
    };
    for (const w of connected) {
      w.once('disconnect', done);
      this.disconnectWorker(w);
    }
    if (connected.length === 0 && typeof callback === 'function') process.nextTick(callback);
  }

  /** @internal Primary-initiated disconnect of one worker (node:cluster's `Worker#disconnect`). */
  disconnectWorker(worker) {
    worker.exitedAfterDisconnect = true;
    const record = worker[kState];
    if (record.channel.writable) {
      // Without a successor its SO_REUSEPORT sockets must go once the worker stops accepting:
      // drop our copies now so the worker's close really closes them.
      this[kState].handles.withdraw(worker);
      record.channel.sendInternal({ act: 'disconnect' });
    }
    // As node:cluster, it leaves `cluster.workers` at once.
    this.#removeWorker(worker);
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

  #balance() {
    const { balance } = this[kState].options;
    if (balance !== undefined) return balance;
    return this.schedulingPolicy === SCHED_NONE ? 'shared' : 'reuseport';
  }

  #removeWorker(worker) {
    delete this.workers[worker.id];
  }

  #ensureNative() {
    const state = this[kState];
    if (state.native === null) {
      const { NativeCluster } = loadNative('cluster');
      // Exits are handled in a callback of their own, so an exception a user's 'exit' listener
      // throws is an uncaught exception, as in node:cluster (napi would only warn).
      state.native = new NativeCluster(({ numbers }) => {
        for (let i = 0; i < numbers.length; i += 3) {
          const [pid, code, signo] = [numbers[i], numbers[i + 1], numbers[i + 2]];
          setImmediate(() => this.#onReaped(pid, code, signo));
        }
      });
    }
    return state.native;
  }

  #fork(slot, replaces) {
    const state = this[kState];
    const s = { ...state.options, ...this.settings };
    const native = this.#ensureNative();
    const id = ++state.nextId;
    let spawned;
    let options;
    try {
      options = spawnOptions(s, slot, id);
      try {
        spawned = native.spawn(options);
      } catch (err) {
        throw errors.systemError(err, 'spawn', { path: process.execPath, spawnargs: [s.exec, ...s.args] });
      }
    } catch (err) {
      this.#maybeIdle();
      throw err;
    }
    const worker = new PrimaryWorker(this, id, spawned, s.serialization ?? 'json', slot, replaces, [process.execPath, ...options.args]);
    const record = worker[kState];
    record.balance = this.#balance();
    this.workers[id] = worker;
    state.live.set(id, worker);
    state.byPid.set(spawned.pid, worker);
    if (state.options.handleSignals !== false) state.signals.install(() => this.shutdown());
    worker.on('message', (message, handle) => this.emit('message', worker, message, handle));
    const { channel } = record;
    channel.on('message', (message, passed) => worker.process.deliver(message, passed));
    channel.on('internal', (message) => onInternalMessage(state, worker, message));
    channel.on('error', (err) => {
      err.workerId = worker.id;
      reportError(this, worker, err);
    });
    channel.on('close', () => this.#onChannelClose(worker));
    worker.process.once('disconnect', () => {
      // As node:cluster: out of `cluster.workers` once both disconnected and dead.
      if (worker.isDead()) this.#removeWorker(worker);
      worker.exitedAfterDisconnect = !!worker.exitedAfterDisconnect;
      if (worker.state !== 'dead') worker.state = 'disconnected';
      worker.emit('disconnect');
      this.emit('disconnect', worker);
    });
    worker.process.once('exit', (exitCode, signalCode) => {
      if (!worker.isConnected()) this.#removeWorker(worker);
      worker.exitedAfterDisconnect = !!worker.exitedAfterDisconnect;
      worker.state = 'dead';
      worker.emit('exit', exitCode, signalCode);
      this.emit('exit', worker, exitCode, signalCode);
    });
    process.nextTick(() => this.emit('fork', worker));
    return worker;
  }

  #onChannelClose(worker) {
    const record = worker[kState];
    this[kState].handles.withdraw(worker);
    if (record.exit !== null && record.exit.timer) clearTimeout(record.exit.timer);
    try {
      worker.process.emit('disconnect');
    } finally {
      if (record.exit !== null) this.#finishExit(worker);
    }
  }

  #onReaped(pid, code, signo) {
    const state = this[kState];
    const worker = state.byPid.get(pid);
    if (worker === undefined) return;
    state.byPid.delete(pid);
    worker.process.exitCode = signo === 0 ? code : null;
    worker.process.signalCode = signo === 0 ? null : /** @type {NodeJS.Signals} */ (signalName(signo) ?? `SIG${signo}`);
    const record = worker[kState];
    record.exit = { timer: null };
    if (record.channel.open) {
      // The process is gone, so EOF is on its way; deliver the last messages first.
      record.exit.timer = setTimeout(() => record.channel.destroy(), CHANNEL_GRACE_MS);
      // The spawner stopped holding the loop for it; close the native side if idle.
      this.#maybeIdle();
    } else {
      this.#finishExit(worker);
    }
  }

  #finishExit(worker) {
    const state = this[kState];
    const record = worker[kState];
    if (record.done) return;
    record.done = true;
    if (record.controlFd >= 0) {
      nativeCluster().closeFd(record.controlFd);
      record.controlFd = -1;
    }
    for (const stream of [worker.process.stdout, worker.process.stderr]) {
      // Unread output must not hold the pipe (and the event loop) open.
      if (stream && stream.listenerCount('data') === 0 && !stream.readableFlowing) stream.resume();
    }
    state.handles.removeWorker(worker);
    state.live.delete(worker.id);
    const { exitCode, signalCode } = worker.process;
    const crashed = exitCode !== 0;
    // A reload's new worker that dies before it is ready is not restarted: the old one stays.
    const unexpected = !worker.exitedAfterDisconnect && !record.killed && !record.replaces && !state.shutdown;
    if (unexpected && crashed) this.#scheduleRestart(worker);
    try {
      worker.process.emit('exit', exitCode, signalCode);
    } finally {
      state.collectHandles();
      this.#maybeIdle();
    }
  }

  #scheduleRestart(worker) {
    const state = this[kState];
    const slot = worker[kState].slot;
    const onLimit = (err) => reportError(this, null, err);
    state.restarts.schedule(state.options.restart, worker, slot, onLimit, () => {
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
    if (state.live.size > 0 || state.restarts.pending > 0 || state.reload) return;
    state.collectHandles();
    state.signals.uninstall();
    if (state.byPid.size === 0) this.#closeNative();
    const shutdown = state.shutdown;
    if (shutdown) {
      if (shutdown.timer) clearTimeout(shutdown.timer);
      state.shutdown = null;
      shutdown.resolve();
    }
  }

  #closeNative() {
    const state = this[kState];
    if (state.native === null) return;
    state.native.close();
    state.native = null;
  }
}

module.exports = { Primary, Worker: PrimaryWorker, SCHED_NONE, SCHED_RR };
