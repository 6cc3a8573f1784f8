#!/usr/bin/env node
'use strict';

/**
 * Runs node's own cluster tests (vendored in __test__/node-compat/parallel) under node:cluster
 * as they are, and under the native cluster with only the require line changed
 * (`require('cluster')` -> this package's `cluster`), one at a time, and prints both results:
 *
 *   node scripts/node-cluster-tests.js [--json FILE] [name-filter]
 */

const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const ROOT = path.join(__dirname, '..');
const VENDORED = path.join(ROOT, '__test__', 'node-compat');
const TIMEOUT_MS = 30000;

/** The vendored test names (optionally filtered). */
function listTests(filter = '') {
  return fs
    .readdirSync(path.join(VENDORED, 'parallel'))
    .filter((f) => f.startsWith('test-cluster-') && f.endsWith('.js') && f.includes(filter))
    .sort();
}

/** A copy of the vendored tree whose tests require this package's cluster instead of node's. */
function nativeCopy() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'np-node-compat-'));
  fs.cpSync(path.join(VENDORED, 'common'), path.join(dir, 'common'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'parallel'));
  const target = JSON.stringify(path.join(ROOT, 'cluster.js'));
  for (const name of listTests()) {
    const text = fs.readFileSync(path.join(VENDORED, 'parallel', name), 'utf8');
    const changed = text.replace(/require\((['"])(?:node:)?cluster\1\)/g, `require(${target})`);
    fs.writeFileSync(path.join(dir, 'parallel', name), changed);
  }
  return dir;
}

async function freePort() {
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  return port;
}

/** Runs one test file; resolves with { ok, code, signal, output, ms }. */
async function runOne(file) {
  const env = { ...process.env, NODE_COMMON_PORT: String(await freePort()) };
  delete env.NODE_UNIQUE_ID;
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [file], { cwd: path.dirname(file), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      resolve({ ok: code === 0 && !timedOut, code, signal, timedOut, output: output.slice(-2000), ms });
    });
  });
}

/**
 * Runs every vendored test (matching `filter`) both ways.
 * @returns {Promise<{ name: string, node: any, native: any }[]>}
 */
async function runAll(filter = '') {
  const dir = nativeCopy();
  const results = [];
  try {
    for (const name of listTests(filter)) {
      const node = await runOne(path.join(VENDORED, 'parallel', name));
      const native = await runOne(path.join(dir, 'parallel', name));
      results.push({ name, node, native });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

function summary(results) {
  const onNode = results.filter((r) => r.node.ok);
  return {
    ran: results.length,
    passNode: onNode.length,
    passNative: results.filter((r) => r.native.ok).length,
    passBoth: onNode.filter((r) => r.native.ok).length,
  };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const jsonAt = args.indexOf('--json');
  const json = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : undefined;
  runAll(args[0] ?? '').then((results) => {
    const mark = (r) => (r.ok ? 'pass' : r.timedOut ? 'TIMEOUT' : `FAIL (${r.signal ?? r.code})`);
    for (const r of results) console.log(`${r.name.padEnd(48)} node:cluster ${mark(r.node).padEnd(10)} native ${mark(r.native)}`);
    const s = summary(results);
    console.log(`\nran ${s.ran}; pass under node:cluster ${s.passNode}; pass under the native cluster ${s.passNative} (${s.passBoth} of the ${s.passNode} that pass under node:cluster)`);
    for (const r of results.filter((x) => x.node.ok && !x.native.ok)) console.log(`\n--- ${r.name} (native)\n${r.native.output}`);
    if (json) fs.writeFileSync(json, JSON.stringify({ summary: s, results }, null, 2));
  });
}

module.exports = { runAll, runOne, listTests, summary };
