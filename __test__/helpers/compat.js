'use strict';

// Runs one program under node:cluster and under the native cluster (CLUSTER_IMPL picks the
// require line) and returns both outputs, for the compatibility tests.
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { isDead } = require('./cluster');

const COMPAT = path.join(__dirname, '..', 'fixtures', 'cluster', 'compat');
const IMPLS = { node: 'node:cluster', native: 'native-parallel/cluster' };

/** A port that was free a moment ago (127.0.0.1). */
async function freePort() {
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  return port;
}

/**
 * Runs `file` (in fixtures/cluster/compat, or a path) with `impl`; resolves with its exit code,
 * signal, stdout and stderr. A run still going after `timeoutMs` is SIGKILLed.
 * @param {string} file
 * @param {'node' | 'native'} impl
 * @param {Record<string, string>} [env]
 */
function runProgram(file, impl, env = {}, timeoutMs = 30000) {
  const script = path.isAbsolute(file) ? file : path.join(COMPAT, file);
  const child = spawn(process.execPath, [script], {
    cwd: path.join(__dirname, '..', '..'),
    env: { ...process.env, ...env, CLUSTER_IMPL: IMPLS[impl] },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: stdout.trim(), stderr, pid: child.pid });
    });
  });
}

/** Runs `file` under both implementations, one after the other (with the same env). */
async function runBoth(file, env = {}) {
  const node = await runProgram(file, 'node', env);
  const native = await runProgram(file, 'native', env);
  return { node, native };
}

/** Lines of `text` that say which pid did something, with the pids blanked out. */
const withoutPids = (text) => text.replace(/\b\d{2,}\b/g, 'N');

module.exports = { runProgram, runBoth, freePort, withoutPids, isDead, COMPAT, IMPLS };
