'use strict';

// The few helpers of node's test/common that the vendored cluster tests use, written for this
// package (node's own test/common needs a node build tree). Same names and meaning.
const assert = require('node:assert');
const os = require('node:os');
const path = require('node:path');
const { isMainThread } = require('node:worker_threads');
const tmpdir = require('./tmpdir');

const checks = [];
const noop = () => {};

function mustCall(fn = noop, exact = 1) {
  if (typeof fn === 'number') return mustCall(noop, fn);
  return track(fn, { exact });
}

function mustCallAtLeast(fn = noop, minimum = 1) {
  if (typeof fn === 'number') return mustCallAtLeast(noop, fn);
  return track(fn, { minimum });
}

function track(fn, expected) {
  const check = { actual: 0, ...expected, stack: new Error().stack };
  checks.push(check);
  return function (...args) {
    check.actual++;
    return fn.apply(this, args);
  };
}

function mustNotCall(message = 'function should not have been called') {
  return () => assert.fail(message);
}

function mustSucceed(fn) {
  return mustCall(function (err, ...args) {
    assert.ifError(err);
    if (typeof fn === 'function') return fn.apply(this, args);
  });
}

process.on('exit', (code) => {
  if (code !== 0) return;
  const failed = checks.filter((c) => (c.exact !== undefined ? c.actual !== c.exact : c.actual < c.minimum));
  for (const c of failed) console.error(`Mismatched call count: expected ${c.exact ?? `at least ${c.minimum}`}, got ${c.actual}\n${c.stack}`);
  if (failed.length > 0) process.exitCode = 1;
});

function isAlive(pid) {
  try {
    process.kill(pid, 'SIGCONT');
    return true;
  } catch {
    return false;
  }
}

/** Ends the test as skipped, the way node's test runner recognises it (TAP `1..0 # Skipped`). */
function skip(reason) {
  process._rawDebug(`1..0 # Skipped: ${reason}`);
  process.exit(0);
}

/** A pipe path in the test's tmpdir, relative to the cwd (short enough for a socket), as node's. */
const PIPE = path.join(path.relative(process.cwd(), `${tmpdir.path}/`), `node-test.${process.pid}.sock`);

/** Joins a template literal into one line (node's tagUnwrap). */
function tagUnwrap(strings, ...subs) {
  return strings
    .reduce((out, s, i) => out + s + (i < subs.length ? subs[i] : ''), '')
    .replace(/\s+/g, ' ')
    .trim();
}

module.exports = {
  mustCall,
  mustCallAtLeast,
  mustNotCall,
  mustSucceed,
  fail: (message) => assert.fail(message),
  isAlive,
  tagUnwrap,
  skip,
  isWindows: process.platform === 'win32',
  isLinux: process.platform === 'linux',
  isOSX: process.platform === 'darwin',
  isIBMi: os.type() === 'OS400',
  isMainThread,
  localhostIPv4: '127.0.0.1',
  PIPE,
  hasIPv6: Object.values(os.networkInterfaces()).some((l) => (l || []).some((i) => i.family === 'IPv6')),
  platformTimeout: (ms) => ms,
  PORT: Number(process.env.NODE_COMMON_PORT) || 12346,
};
