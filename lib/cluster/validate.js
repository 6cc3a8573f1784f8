'use strict';

/**
 * Checks for the cluster's settings and arguments: TypeError/RangeError with Node-style codes
 * and messages naming the field, before anything is forked.
 * @module native-parallel/lib/cluster/validate
 */

const net = require('node:net');
const { invalidArgType, invalidArgValue, invalidState, outOfRange, makeError } = require('../errors');
const { validateObject, validateInteger } = require('../validate');

const BALANCES = ['reuseport', 'shared'];
const SERIALIZATIONS = ['advanced', 'json'];
const RESTART_DEFAULTS = Object.freeze({ maxRestarts: 10, windowMs: 60000, backoffMs: 100 });
/** node:cluster's settings: kept in `cluster.settings`. */
const NODE_KEYS = ['exec', 'args', 'execArgv', 'cwd', 'silent', 'serialization', 'windowsHide', 'inspectPort'];
/** The native extras: accepted by `setupPrimary`, kept outside `cluster.settings`. */
const NATIVE_KEYS = ['env', 'balance', 'restart', 'shutdownTimeoutMs', 'handleSignals', 'shared'];
/** node:cluster settings this cluster cannot honour (see docs/cluster.md), with the reason. */
const UNAVAILABLE = {
  stdio: 'workers get the primary stdio, or pipes with silent: true; other stdio layouts are not supported',
  uid: 'workers run as the primary user (setuid in the spawner is not implemented)',
  gid: 'workers run as the primary group (setgid in the spawner is not implemented)',
};
const KNOWN = [...NODE_KEYS, ...NATIVE_KEYS];
/** At most this many SharedMemory objects per worker (each is one inherited fd). */
const MAX_SHARED = 32;
const SHARED_NAME = /^[A-Za-z0-9_$.-]{1,64}$/;

/** @param {unknown} value @param {string} name */
function validateString(value, name, { allowEmpty = false } = {}) {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (!allowEmpty && value.length === 0) throw invalidArgValue(name, value, 'must not be empty');
  if (value.includes('\0')) throw invalidArgValue(name, value, 'must not contain null bytes');
  return value;
}

/** @param {unknown} value @param {string} name */
function validateStringArray(value, name) {
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value);
  value.forEach((item, i) => validateString(item, `${name}[${i}]`, { allowEmpty: true }));
  return [...value];
}

/** @param {unknown} value @param {string} name */
function validateBoolean(value, name) {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

/** @param {unknown} value @param {string} name @param {string[]} allowed */
function validateOneOf(value, name, allowed) {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (!allowed.includes(value)) throw invalidArgValue(name, value, `must be one of: ${allowed.map((a) => `'${a}'`).join(', ')}`);
  return value;
}

/**
 * An environment: string keys without '=' or NUL; values are strings, numbers or booleans
 * (turned into strings, as child_process does); undefined values are skipped.
 * @param {unknown} value @param {string} name
 * @returns {Record<string, string>}
 */
function validateEnv(value, name) {
  validateObject(value, name);
  /** @type {Record<string, string>} */
  const out = {};
  for (const [key, v] of Object.entries(/** @type {object} */ (value))) {
    if (key.length === 0 || key.includes('=') || key.includes('\0')) {
      throw invalidArgValue(`${name}`, key, 'must have keys that are not empty and contain no "=" or null bytes');
    }
    if (v === undefined) continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw invalidArgType(`${name}.${key}`, 'of type string, number or boolean', v);
    }
    const text = String(v);
    if (text.includes('\0')) throw invalidArgValue(`${name}.${key}`, v, 'must not contain null bytes');
    out[key] = text;
  }
  return out;
}

/** @param {unknown} value @param {string} name */
function validateRestart(value, name) {
  if (value === false) return false;
  validateObject(value, name);
  const r = /** @type {Record<string, unknown>} */ (value);
  for (const key of Object.keys(r)) {
    if (!(key in RESTART_DEFAULTS)) throw invalidArgValue(`${name}.${key}`, r[key], `is not a restart setting (known: ${Object.keys(RESTART_DEFAULTS).join(', ')})`);
  }
  return {
    maxRestarts: r.maxRestarts === undefined ? RESTART_DEFAULTS.maxRestarts : validateInteger(r.maxRestarts, `${name}.maxRestarts`, 0, 1e9),
    windowMs: r.windowMs === undefined ? RESTART_DEFAULTS.windowMs : validateInteger(r.windowMs, `${name}.windowMs`, 1, 2 ** 31 - 1),
    backoffMs: r.backoffMs === undefined ? RESTART_DEFAULTS.backoffMs : validateInteger(r.backoffMs, `${name}.backoffMs`, 0, 2 ** 31 - 1),
  };
}

/**
 * `{ name: SharedMemory }` handed to workers: names of 1-64 characters from [A-Za-z0-9_$.-],
 * at most 32 entries, every value an open SharedMemory.
 * @param {unknown} value @param {string} name
 * @returns {Record<string, import('../shared-memory').SharedMemory>}
 */
function validateShared(value, name) {
  validateObject(value, name);
  const { isSharedMemory } = require('../shared-memory');
  const entries = Object.entries(/** @type {object} */ (value));
  if (entries.length > MAX_SHARED) throw outOfRange(`${name}`, `at most ${MAX_SHARED} entries`, entries.length);
  /** @type {Record<string, any>} */
  const out = {};
  for (const [key, shm] of entries) {
    if (!SHARED_NAME.test(key)) throw invalidArgValue(name, key, 'must have names of 1 to 64 characters from A-Z, a-z, 0-9, _, $, . and -');
    if (!isSharedMemory(shm)) throw invalidArgType(`${name}.${key}`, 'an instance of SharedMemory', shm);
    if (shm.closed) throw invalidState(`${name}.${key} is a closed SharedMemory`);
    out[key] = shm;
  }
  return out;
}

/**
 * `cluster.fork(env, options)`'s options: `{ shared }`.
 * @param {unknown} options
 * @returns {{ shared: Record<string, any> }}
 */
function validateForkOptions(options) {
  const o = validateObject(options, 'options');
  for (const key of Object.keys(o)) {
    if (key !== 'shared') throw invalidArgValue(`options.${key}`, o[key], 'is not a fork option (known: shared)');
  }
  return { shared: o.shared === undefined ? {} : validateShared(o.shared, 'options.shared') };
}

/**
 * Validates a `setupPrimary` argument; returns the fields given, normalised, split into
 * node:cluster's (`node`) and the native extras (`native`). With `strict` false (the settings
 * a user may have assigned to `cluster.settings` directly), keys we do not know are skipped.
 * @param {unknown} settings
 * @param {{ strict?: boolean }} [options]
 * @returns {{ node: Record<string, any>, native: Record<string, any> }}
 */
function validateSettings(settings, { strict = true } = {}) {
  const s = validateObject(settings, 'settings');
  /** @type {Record<string, any>} */
  const node = {};
  /** @type {Record<string, any>} */
  const native = {};
  for (const key of Object.keys(s)) {
    const v = s[key];
    if (Object.hasOwn(UNAVAILABLE, key)) {
      if (v === undefined) continue;
      throw featureUnavailable(`settings.${key}`, UNAVAILABLE[key]);
    }
    if (!KNOWN.includes(key)) {
      if (!strict) continue;
      throw invalidArgValue(`settings.${key}`, v, `is not a cluster setting (known: ${KNOWN.join(', ')})`);
    }
    if (v === undefined) continue;
    const name = `settings.${key}`;
    const out = NODE_KEYS.includes(key) ? node : native;
    switch (key) {
      case 'exec':
      case 'cwd':
        out[key] = validateString(v, name);
        break;
      case 'args':
      case 'execArgv':
        out[key] = validateStringArray(v, name);
        break;
      case 'env':
        out[key] = validateEnv(v, name);
        break;
      case 'silent':
      case 'handleSignals':
      case 'windowsHide':
        out[key] = validateBoolean(v, name);
        break;
      case 'balance':
        out[key] = validateOneOf(v, name, BALANCES);
        break;
      case 'serialization':
        out[key] = validateOneOf(v, name, SERIALIZATIONS);
        break;
      case 'restart':
        out[key] = validateRestart(v, name);
        break;
      case 'shutdownTimeoutMs':
        out[key] = validateInteger(v, name, 0, 2 ** 31 - 1);
        break;
      case 'shared':
        out[key] = validateShared(v, name);
        break;
      case 'inspectPort':
        if (typeof v === 'function') out[key] = v;
        else out[key] = validateInteger(v, name, 0, 65535);
        break;
    }
  }
  return { node, native };
}

/** A node:cluster feature this cluster does not have: ERR_FEATURE_UNAVAILABLE, saying why. */
function featureUnavailable(what, reason) {
  return makeError(Error, 'ERR_FEATURE_UNAVAILABLE', `${what} is not available in the native cluster: ${reason} (see docs/cluster.md)`);
}

/**
 * Validates `cluster.listen(server, options)`.
 * @param {unknown} server
 * @param {unknown} options
 * @returns {{ port: number, host: string | undefined, backlog: number }}
 */
function validateListen(server, options) {
  if (server === null || typeof server !== 'object' || typeof /** @type {any} */ (server).listen !== 'function') {
    throw invalidArgType('server', 'an instance of net.Server', server);
  }
  const o = validateObject(options, 'options');
  const port = o.port === undefined ? 0 : validateInteger(o.port, 'options.port', 0, 65535);
  let host;
  if (o.host !== undefined) {
    host = validateString(o.host, 'options.host');
  }
  const backlog = o.backlog === undefined ? 511 : validateInteger(o.backlog, 'options.backlog', 1, 65535);
  for (const key of Object.keys(o)) {
    if (!['port', 'host', 'backlog'].includes(key)) throw invalidArgValue(`options.${key}`, o[key], 'is not a listen option (known: port, host, backlog)');
  }
  return { port, host, backlog };
}

/** True when `host` is an IP literal (no name lookup needed). */
const isIp = (host) => net.isIP(host) !== 0;

/**
 * A signal name (`'SIGTERM'`, any case) or number, as ChildProcess#kill takes it: anything else
 * throws ERR_UNKNOWN_SIGNAL (a TypeError), as there. 0 (only test for the process) is allowed.
 * @returns {number}
 */
function validateSignal(value, name) {
  const { signals } = require('node:os').constants;
  if (value === 0) return 0;
  if (typeof value === 'number' && Object.values(signals).includes(value)) return value;
  if (typeof value === 'string') {
    const n = /** @type {Record<string, number>} */ (signals)[value.toUpperCase()];
    if (n !== undefined) return n;
  }
  const err = makeError(TypeError, 'ERR_UNKNOWN_SIGNAL', `Unknown signal: ${String(value)}`);
  err.argument = name;
  return (() => {
    throw err;
  })();
}

module.exports = {
  validateSettings,
  featureUnavailable,
  NODE_KEYS,
  NATIVE_KEYS,
  validateEnv,
  validateForkOptions,
  MAX_SHARED,
  validateListen,
  validateSignal,
  validateString,
  isIp,
  RESTART_DEFAULTS,
  BALANCES,
  SERIALIZATIONS,
};
