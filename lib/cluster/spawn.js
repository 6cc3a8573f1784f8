'use strict';

/**
 * What a fork starts: the default settings, and the command line, environment and inherited
 * fds of one worker process.
 * @module native-parallel/lib/cluster/spawn
 */

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

/** node:cluster's defaults for `cluster.settings` (the same four fields). */
function nodeDefaults() {
  return {
    args: process.argv.slice(2),
    exec: process.argv[1],
    execArgv: process.execArgv,
    silent: false,
  };
}

/**
 * The native extras' defaults (kept outside `cluster.settings`). No restart, as node:cluster;
 * `balance` follows `cluster.schedulingPolicy` unless given.
 */
function nativeDefaults() {
  return {
    env: {},
    balance: undefined,
    restart: false,
    shutdownTimeoutMs: 10000,
    handleSignals: true,
    shared: {},
  };
}

/** `restart: {}` means these. */
const restartDefaults = () => ({ ...RESTART_DEFAULTS });

let debugPortOffset = 1;
/** node:cluster's `--inspect-port` for a worker when the primary's execArgv uses the inspector. */
function inspectArgs(execArgv, inspectPort) {
  if (!execArgv.some((a) => /^--(inspect|inspect-brk|inspect-wait|debug)(=|-port=|$)/.test(a))) return [];
  let port = inspectPort;
  if (typeof port === 'function') port = port();
  if (port === undefined) port = process.debugPort + debugPortOffset++;
  return [`--inspect-port=${port}`];
}

/**
 * The native spawner's options for worker `id`.
 * @param {Record<string, any>} s node:cluster's settings plus the native extras
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
    // As node:cluster: Node's net and dgram then take their cluster path in the worker, where
    // the bootstrap routes them through this cluster. Node removes it before user code runs.
    NODE_UNIQUE_ID: String(id),
    NATIVE_PARALLEL_SHARED: shared.length === 0 ? undefined : JSON.stringify(shared.map(([name], i) => [name, SHARED_FD_BASE + i])),
    NATIVE_PARALLEL_IPC_FD: '3',
    NATIVE_PARALLEL_CONTROL_FD: '4',
    NATIVE_PARALLEL_WORKER_ID: String(id),
    // node:cluster's default: JSON, as child_process.
    NATIVE_PARALLEL_SERIALIZATION: s.serialization ?? 'json',
    NATIVE_PARALLEL_ADDON: addonPath(),
  };
  const envList = [];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) envList.push(`${k}=${v}`);
  return {
    file: process.execPath,
    // The bootstrap comes first, so that it runs before any other preload.
    args: ['--require', BOOTSTRAP, ...s.execArgv, ...inspectArgs(s.execArgv, s.inspectPort), s.exec, ...s.args],
    env: envList,
    cwd: s.cwd,
    silent: s.silent,
    inherit,
  };
}

module.exports = { nodeDefaults, nativeDefaults, restartDefaults, spawnOptions, BOOTSTRAP };
