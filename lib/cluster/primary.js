'use strict';

/**
 * The primary side of the cluster: forks workers through the native spawner, speaks the IPC
 * protocol, hands out listening sockets, restarts crashed workers, reloads and shuts down.
 * Names and events follow node:cluster (`fork`, `online`, `listening`, `message`,
 * `disconnect`, `exit`), plus `restart` and `error`.
 * @module native-parallel/lib/cluster/primary
 */

const { EventEmitter } = require('node:events');
const os = require('node:os');
const path = require('node:path');
const errors = require('../errors');
const { loadNative, binaryPath } = require('../native');
const { validateSettings, validateEnv, validateForkOptions, validateListen, RESTART_DEFAULTS, MAX_SHARED } = require('./validate');
const { Worker, reportError, symbols } = require('./primary-worker');
const { signalName } = require('../internal/signals');

const { kChannel, kControlFd, kSlot, kReplaces, kKilled, kKeys, kDeposits, kExit, kBalance, kDone } = symbols;

const BOOTSTRAP = path.join(__dirname, 'bootstrap.js');
/** Backoff between restarts grows by doubling up to this. */
const MAX_BACKOFF_MS = 30000;
/** Inherited SharedMemory fds start here in a worker (3 is IPC, 4 the control socket). */
const SHARED_FD_BASE = 5;
/** After a worker's process is reaped, how long its channel may take to report EOF. */
const CHANNEL_GRACE_MS = 1000;

let addon;
/** The addon's path, probed once (the probe asks for a process report, which is slow). */
const addonPath = () => (addon ??= binaryPath());

function defaults() {
  return {
    exec: process.argv[1],
    args: process.argv.slice(2),
    execArgv: process.execArgv,
    env: {},
    cwd: undefined,
    silent: false,
    balance: 'reuseport',
    serialization: 'advanced',
    restart: { ...RESTART_DEFAULTS },
    shutdownTimeoutMs: 10000,
    handleSignals: true,
  };
}

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

  #native = null;
  #nextId = 0;
  #tokens = 0;
  /** @type {Map<number, Worker>} */
  #byPid = new Map();
  /** @type {Map<string, { kind: string, fd: number, port: number, users: Set<Worker> }>} */
  #handles = new Map();
  /** @type {Set<NodeJS.Timeout>} */
  #restartTimers = new Set();
  /** @type {{ promise: Promise<void>, resolve: () => void, timer: NodeJS.Timeout | null } | null} */
  #shutdown = null;
  /** @type {Promise<void> | null} */
  #reload = null;
  /** @type {((signal: NodeJS.Signals) => void) | null} */
  #onSignal = null;

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
    if (this.#shutdown) throw errors.invalidState('The cluster is shutting down');
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
    if (this.#shutdown) return Promise.reject(errors.invalidState('The cluster is shutting down'));
    if (this.#reload) return this.#reload;
    this.#reload = (async () => {
      try {
        const olds = Object.values(this.workers).filter((w) => w.isConnected() && !w.exitedAfterDisconnect);
        for (const old of olds) {
          if (this.#shutdown) throw errors.invalidState('The cluster is shutting down');
          if (!old.isConnected() || old.exitedAfterDisconnect) continue;
          const next = this.#fork(old[kSlot], old);
          await this.#ready(next, old);
          next[kReplaces] = null;
          this.disconnectWorker(old);
          await this.#exited(old);
        }
      } finally {
        this.#reload = null;
        this.#maybeIdle();
      }
    })();
    return this.#reload;
  }

  /**
   * Disconnects every worker (each drains its in-flight requests), waits up to
   * `settings.shutdownTimeoutMs`, then SIGKILLs whatever is left. Resolves once every worker
   * has exited; nothing of the cluster keeps the process alive after that.
   * @returns {Promise<void>}
   */
  shutdown() {
    if (this.#shutdown) return this.#shutdown.promise;
    /** @type {() => void} */
    let resolve = () => {};
    const promise = new Promise((r) => {
      resolve = r;
    });
    const state = { promise, resolve, timer: null };
    this.#shutdown = state;
    for (const t of this.#restartTimers) clearTimeout(t);
    this.#restartTimers.clear();
    const workers = Object.values(this.workers);
    for (const w of workers) if (w.isConnected()) this.disconnectWorker(w);
    if (workers.length > 0) {
      const timeout = this.settings.shutdownTimeoutMs ?? defaults().shutdownTimeoutMs;
      state.timer = setTimeout(() => {
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
    const channel = worker[kChannel];
    if (!channel.open) return;
    // Without a successor its SO_REUSEPORT sockets must go once the worker stops accepting:
    // drop our copies now so the worker's close really closes them.
    this.#closeDeposits(worker);
    channel.sendInternal({ act: 'disconnect' });
  }

  /** @internal Sends a signal to a worker's process; false when it is already gone. */
  signal(worker, signo) {
    if (worker.isDead() || this.#native === null) return false;
    try {
      return this.#native.kill(worker.process.pid, signo);
    } catch (err) {
      throw errors.systemError(err, 'kill');
    }
  }

  #liveCount() {
    return Object.keys(this.workers).length;
  }

  #ensureNative() {
    if (this.#native === null) {
      const { NativeCluster } = loadNative('cluster');
      this.#native = new NativeCluster((batch) => this.#onExits(batch));
    }
    return this.#native;
  }

  #fork(slot, replaces) {
    const s = this.settings;
    const native = this.#ensureNative();
    const id = ++this.#nextId;
    const shared = Object.entries({ ...s.shared, ...slot.shared });
    if (shared.length > MAX_SHARED) throw errors.outOfRange('shared', `at most ${MAX_SHARED} SharedMemory objects per worker (settings.shared and options.shared together)`, shared.length);
    const inherit = [];
    for (const [name, shm] of shared) {
      if (shm.closed) throw errors.invalidState(`SharedMemory "${name}" was closed before the worker was forked`);
      inherit.push(shm.fd);
    }
    const env = {
      ...process.env,
      ...s.env,
      ...slot.env,
      NATIVE_PARALLEL_SHARED: shared.length === 0 ? undefined : JSON.stringify(shared.map(([name], i) => [name, SHARED_FD_BASE + i])),
      NATIVE_PARALLEL_IPC_FD: '3',
      NATIVE_PARALLEL_CONTROL_FD: '4',
      NATIVE_PARALLEL_WORKER_ID: String(id),
      NATIVE_PARALLEL_SERIALIZATION: s.serialization,
      NATIVE_PARALLEL_ADDON: addonPath(),
    };
    const envList = [];
    for (const [k, v] of Object.entries(env)) if (v !== undefined) envList.push(`${k}=${v}`);
    let spawned;
    try {
      spawned = native.spawn({
        file: process.execPath,
        args: [...s.execArgv, '--require', BOOTSTRAP, s.exec, ...s.args],
        env: envList,
        cwd: s.cwd,
        silent: s.silent,
        inherit,
      });
    } catch (err) {
      this.#maybeIdle();
      throw errors.systemError(err, 'spawn', { path: process.execPath, spawnargs: [s.exec, ...s.args] });
    }
    const worker = new Worker(this, id, spawned, s.serialization, slot, replaces);
    Object.defineProperty(worker, kBalance, { value: s.balance });
    this.workers[id] = worker;
    this.#byPid.set(spawned.pid, worker);
    this.#installSignalHandlers();
    const channel = worker[kChannel];
    channel.on('message', (message) => {
      worker.emit('message', message);
      this.emit('message', worker, message);
    });
    channel.on('internal', (message) => this.#onInternal(worker, message));
    channel.on('error', (err) => {
      err.workerId = worker.id;
      reportError(this, worker, err);
    });
    channel.on('close', () => this.#onChannelClose(worker));
    process.nextTick(() => this.emit('fork', worker));
    return worker;
  }

  #onInternal(worker, message) {
    switch (message.act) {
      case 'online':
        worker.state = 'online';
        worker.emit('online');
        this.emit('online', worker);
        break;
      case 'listen':
        this.#onListen(worker, message);
        break;
      case 'deposit':
        this.#onDeposit(worker, message);
        break;
      case 'listening':
        worker.state = 'listening';
        worker[kKeys].add(message.key);
        worker.emit('listening', message.address);
        this.emit('listening', worker, message.address);
        break;
      case 'unlisten':
        worker[kKeys].delete(message.key);
        this.#closeDeposit(worker, message.key);
        this.#handles.get(message.key)?.users.delete(worker);
        this.#gcHandles();
        break;
      case 'exitedAfterDisconnect':
        worker.exitedAfterDisconnect = true;
        break;
    }
  }

  /** A worker asks for a listening socket: the shared one, a handed-over one, or a port. */
  #onListen(worker, { seq, host, port, backlog }) {
    const key = `${host}:${port}`;
    const channel = worker[kChannel];
    const reply = (body) => channel.sendInternal({ act: 'listenReply', seq, key, ...body });
    const { NativeCluster } = loadNative('cluster');
    try {
      if (worker[kBalance] === 'shared') {
        const handle = this.#handle(key, host, port, backlog, 'shared');
        handle.users.add(worker);
        const token = ++this.#tokens;
        NativeCluster.sendFd(worker[kControlFd], handle.fd, token);
        reply({ fd: true, token, port: handle.port });
        return;
      }
      // Port 0: reserve one port (bound, never listening) that every worker then uses, this
      // one and those that replace it later.
      const reservation = port === 0 ? this.#handle(key, host, 0, 1, 'reservation') : null;
      reservation?.users.add(worker);
      const from = worker[kReplaces];
      const inherited = from ? from[kDeposits].get(key) : undefined;
      if (inherited !== undefined) {
        // Reload: the new worker takes over the old one's SO_REUSEPORT socket, so the
        // kernel's group never loses a socket and no queued connection is dropped.
        from[kDeposits].delete(key);
        worker[kDeposits].set(key, inherited);
        const token = ++this.#tokens;
        NativeCluster.sendFd(worker[kControlFd], inherited, token);
        reply({ fd: true, token, port });
        return;
      }
      reply({ create: true, port: reservation ? reservation.port : port });
    } catch (err) {
      reply({ error: { code: err.code, message: err.message, syscall: 'listen' } });
    }
  }

  #handle(key, host, port, backlog, kind) {
    let handle = this.#handles.get(key);
    if (handle === undefined) {
      const { NativeCluster } = loadNative('cluster');
      const [fd, actual] = NativeCluster.bind(host, port, backlog, kind);
      handle = { kind, fd, port: actual, users: new Set() };
      this.#handles.set(key, handle);
    }
    return handle;
  }

  #onDeposit(worker, { key, token }) {
    const { NativeCluster } = loadNative('cluster');
    let fd;
    let got;
    try {
      [fd, got] = NativeCluster.recvFd(worker[kControlFd]);
    } catch (err) {
      reportError(this, worker, errors.systemError(err, 'recvmsg'));
      return;
    }
    if (got !== token || !worker.isConnected() || worker.exitedAfterDisconnect) {
      NativeCluster.closeFd(fd);
      return;
    }
    this.#closeDeposit(worker, key);
    worker[kDeposits].set(key, fd);
  }

  #closeDeposit(worker, key) {
    const fd = worker[kDeposits].get(key);
    if (fd === undefined) return;
    worker[kDeposits].delete(key);
    loadNative('cluster').NativeCluster.closeFd(fd);
  }

  #closeDeposits(worker) {
    for (const key of [...worker[kDeposits].keys()]) this.#closeDeposit(worker, key);
  }

  /** Closes shared sockets and port reservations nobody can use any more. */
  #gcHandles() {
    if (this.#restartTimers.size > 0 || this.#reload) return;
    const { NativeCluster } = loadNative('cluster');
    for (const [key, handle] of this.#handles) {
      for (const w of handle.users) if (w[kDone]) handle.users.delete(w);
      if (handle.users.size > 0) continue;
      NativeCluster.closeFd(handle.fd);
      this.#handles.delete(key);
    }
  }

  #onChannelClose(worker) {
    this.#closeDeposits(worker);
    if (worker.state !== 'dead') worker.state = 'disconnected';
    if (worker[kExit] !== null && worker[kExit].timer) clearTimeout(worker[kExit].timer);
    worker.emit('disconnect');
    this.emit('disconnect', worker);
    if (worker[kExit] !== null) this.#finishExit(worker);
  }

  #onExits(batch) {
    for (let i = 0; i < batch.length; i += 3) {
      const worker = this.#byPid.get(batch[i]);
      if (worker === undefined) continue;
      this.#byPid.delete(batch[i]);
      const code = batch[i + 1];
      const signo = batch[i + 2];
      worker.process.exitCode = signo === 0 ? code : null;
      worker.process.signalCode = signo === 0 ? null : /** @type {NodeJS.Signals} */ (signalName(signo) ?? `SIG${signo}`);
      worker[kExit] = { timer: null };
      if (worker.isConnected()) {
        // The process is gone, so EOF is on its way; deliver the last messages first.
        worker[kExit].timer = setTimeout(() => worker[kChannel].destroy(), CHANNEL_GRACE_MS);
      } else {
        this.#finishExit(worker);
      }
    }
    // The spawner stopped holding the loop for these; close the native side if idle.
    this.#maybeIdle();
  }

  #finishExit(worker) {
    if (worker[kDone]) return;
    worker[kDone] = true;
    worker.state = 'dead';
    worker.exitedAfterDisconnect = !!worker.exitedAfterDisconnect;
    this.#closeDeposits(worker);
    if (worker[kControlFd] >= 0) {
      loadNative('cluster').NativeCluster.closeFd(worker[kControlFd]);
      worker[kControlFd] = -1;
    }
    for (const stream of [worker.process.stdout, worker.process.stderr]) {
      // Unread output must not hold the pipe (and the event loop) open.
      if (stream && stream.listenerCount('data') === 0 && !stream.readableFlowing) stream.resume();
    }
    for (const handle of this.#handles.values()) handle.users.delete(worker);
    delete this.workers[worker.id];
    const { exitCode, signalCode } = worker.process;
    const crashed = exitCode !== 0;
    // A reload's new worker that dies before it is ready is not restarted: the old one stays.
    const unexpected = !worker.exitedAfterDisconnect && !worker[kKilled] && !worker[kReplaces] && !this.#shutdown;
    if (unexpected && crashed) this.#scheduleRestart(worker);
    worker.emit('exit', exitCode, signalCode);
    this.emit('exit', worker, exitCode, signalCode);
    this.#gcHandles();
    this.#maybeIdle();
  }

  #scheduleRestart(worker) {
    const policy = this.settings.restart;
    if (policy === false) return;
    const slot = worker[kSlot];
    const now = Date.now();
    slot.restarts = slot.restarts.filter((t) => now - t < policy.windowMs);
    if (slot.restarts.length >= policy.maxRestarts) {
      reportError(this, null, errors.restartLimit(worker, slot.restarts.length, policy.windowMs));
      return;
    }
    const delay = Math.min(policy.backoffMs * 2 ** slot.restarts.length, Math.max(MAX_BACKOFF_MS, policy.backoffMs));
    slot.restarts.push(now);
    const timer = setTimeout(() => {
      this.#restartTimers.delete(timer);
      if (this.#shutdown) return;
      let next;
      try {
        next = this.#fork(slot, null);
      } catch (err) {
        reportError(this, null, err);
        this.#gcHandles();
        this.#maybeIdle();
        return;
      }
      process.nextTick(() => this.emit('restart', next, worker));
    }, delay);
    this.#restartTimers.add(timer);
  }

  /** Resolves once `next` listens on everything `old` listened on (or is online). */
  #ready(next, old) {
    const keys = [...old[kKeys]];
    return new Promise((resolve, reject) => {
      const check = () => {
        const ok = keys.length === 0 ? next.state !== 'none' : keys.every((k) => next[kKeys].has(k));
        if (!ok) return;
        cleanup();
        resolve();
      };
      const fail = () => {
        cleanup();
        const error = errors.workerExited(`Worker ${next.id} (pid ${next.pid}) exited or disconnected before it was ready; worker ${old.id} keeps running`);
        if (next[kDone]) {
          reject(error);
          return;
        }
        // Settle once it is gone, so `cluster.workers` no longer lists it.
        next.once('exit', () => reject(error));
        this.signal(next, os.constants.signals.SIGKILL);
      };
      const cleanup = () => {
        next.off('online', check);
        next.off('listening', check);
        next.off('disconnect', fail);
        next.off('exit', fail);
      };
      next.on('online', check);
      next.on('listening', check);
      next.on('disconnect', fail);
      next.on('exit', fail);
    });
  }

  /** Resolves when `worker` has exited; SIGKILLs it after `shutdownTimeoutMs`. */
  #exited(worker) {
    if (worker[kDone]) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.signal(worker, os.constants.signals.SIGKILL), this.settings.shutdownTimeoutMs);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #installSignalHandlers() {
    if (this.#onSignal || this.settings.handleSignals === false) return;
    this.#onSignal = (signal) => {
      this.shutdown().then(() => {
        // Nobody else handles it: end the way the signal would have ended us.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    };
    process.on('SIGTERM', this.#onSignal);
    process.on('SIGINT', this.#onSignal);
  }

  /** With no worker left and nothing pending, let go of everything native and global. */
  #maybeIdle() {
    if (this.#liveCount() > 0 || this.#restartTimers.size > 0 || this.#reload) return;
    this.#gcHandles();
    if (this.#onSignal) {
      process.off('SIGTERM', this.#onSignal);
      process.off('SIGINT', this.#onSignal);
      this.#onSignal = null;
    }
    if (this.#native !== null && this.#byPid.size === 0) {
      this.#native.close();
      this.#native = null;
    }
    const shutdown = this.#shutdown;
    if (shutdown) {
      if (shutdown.timer) clearTimeout(shutdown.timer);
      this.#shutdown = null;
      shutdown.resolve();
    }
  }
}

module.exports = { Primary, Worker };
