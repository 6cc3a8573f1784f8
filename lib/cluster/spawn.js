'use strict';

/**
 * What a fork starts: the default settings, and the command line, environment and inherited
 * fds of one worker process.
 * @module native-parallel/lib/cluster/spawn
 */

const os = require('node:os');
const path = require('node:path');
const errors = require('../errors');
const { binaryPath } = require('../native');
const { RESTART_DEFAULTS, MAX_SHARED } = require('./validate');

const BOOTSTRAP = path.join(__dirname, 'bootstrap.js');
/** Inherited SharedMemory fds start here in a worker (3 is IPC, 4 the control socket). */
const SHARED_FD_BASE = 5;

let addon;
/** The addon's path, probed once (the probe asks for a process report, which is slow). */
const addonPath = () => (addon ??= binaryPath());

/** Signal numbers to names (`9` -> `'SIGKILL'`). */
const signalNames = Object.fromEntries(Object.entries(os.constants.signals).map(([name, n]) => [n, name]));

/** The settings a primary starts from. */
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

/**
 * The native spawner's options for worker `id`.
 * @param {Record<string, any>} s the cluster's settings
 * @param {{ env: Record<string, string>, shared: Record<string, any> }} slot this worker's own env and memory
 * @param {number} id
 */
function spawnOptions(s, slot, id) {
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
  return {
    file: process.execPath,
    args: [...s.execArgv, '--require', BOOTSTRAP, s.exec, ...s.args],
    env: envList,
    cwd: s.cwd,
    silent: s.silent,
    inherit,
  };
}

module.exports = { defaults, spawnOptions, signalNames, BOOTSTRAP };
