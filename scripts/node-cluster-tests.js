#!/usr/bin/env node
'use strict';

/**
 * Runs node's own cluster tests (vendored in __test__/node-compat/parallel/cluster) under
 * node:cluster as they are, and under the native cluster with only the require line changed
 * (`require('cluster')` -> this package's `cluster`), a few at a time, and prints both results:
 *
 *   node scripts/node-cluster-tests.js [--json FILE] [--jobs N] [name-filter]
 *
 * A test's `// Flags:` line is honoured as node's own test runner does; a test that calls
 * `common.skip()` (TAP `1..0 # Skipped`) counts as skipped, not passed.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const ROOT = path.join(__dirname, '..');
const VENDORED = path.join(ROOT, '__test__', 'node-compat');
const SUITE = path.join('parallel', 'cluster');
const TIMEOUT_MS = 30000;

/** The vendored test names (optionally filtered), e.g. `basic.js`. */
function listTests(filter = '') {
  return fs
    .readdirSync(path.join(VENDORED, SUITE))
    .filter((f) => f.endsWith('.js') && f.includes(filter))
    .sort();
}

/** A copy of the vendored tree whose tests require this package's cluster instead of node's. */
function nativeCopy() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'np-node-compat-'));
  fs.cpSync(path.join(VENDORED, 'common'), path.join(dir, 'common'), { recursive: true });
  fs.mkdirSync(path.join(dir, SUITE), { recursive: true });
  const target = JSON.stringify(path.join(ROOT, 'cluster.js'));
  for (const name of listTests()) {
    const text = fs.readFileSync(path.join(VENDORED, SUITE, name), 'utf8');
    const changed = text.replace(/require\((['"])(?:node:)?cluster\1\)/g, `require(${target})`);
    fs.writeFileSync(path.join(dir, SUITE, name), changed);
  }
  return dir;
}

/** The node options of a test's `// Flags:` line, as node's test runner reads them. */
function flagsOf(file) {
  const match = /^\/\/ Flags: (.+)$/m.exec(fs.readFileSync(file, 'utf8'));
  return match ? match[1].trim().split(/\s+/) : [];
}

/**
 * Runs one test file in a temporary directory of its own (its cwd and NODE_TEST_DIR);
 * resolves with { status: 'pass' | 'fail' | 'skip' | 'timeout', ok, code, signal, output, ms }.
 */
function runOne(file) {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'np-node-test-'));
  const env = { ...process.env, NODE_TEST_DIR: cwd };
  delete env.NODE_UNIQUE_ID;
  delete env.NODE_CLUSTER_SCHED_POLICY;
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [...flagsOf(file), file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
      fs.rmSync(cwd, { recursive: true, force: true });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const skipped = code === 0 && /^1\.\.0 # Skipped:/m.test(output);
      const status = timedOut ? 'timeout' : skipped ? 'skip' : code === 0 ? 'pass' : 'fail';
      resolve({ status, ok: status === 'pass', code, signal, timedOut, output: output.slice(-3000), ms });
    });
  });
}

/** Runs `jobs` (functions returning promises) with at most `limit` under way at once. */
async function pool(jobs, limit) {
  const results = new Array(jobs.length);
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, lane));
  return results;
}

/**
 * Runs every vendored test (matching `filter`, or the names in `only`) under each of `engines`
 * (node:cluster as vendored, and the native cluster), `jobs` test processes at a time.
 * @param {{ filter?: string, only?: string[], jobs?: number, engines?: ('node' | 'native')[] }} [options]
 * @returns {Promise<{ name: string, node?: any, native?: any }[]>}
 */
async function runAll({ filter = '', only, jobs = 2, engines = ['node', 'native'] } = {}) {
  const names = only ?? listTests(filter);
  const dir = nativeCopy();
  const roots = { node: VENDORED, native: dir };
  try {
    const work = names.flatMap((name) => engines.map((engine) => () => runOne(path.join(roots[engine], SUITE, name))));
    const out = await pool(work, jobs);
    return names.map((name, i) => ({ name, ...Object.fromEntries(engines.map((e, j) => [e, out[i * engines.length + j]])) }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Counts: ran (not skipped under node:cluster), passed under each, and under both. */
function summary(results) {
  const ran = results.filter((r) => r.node.status !== 'skip');
  const onNode = ran.filter((r) => r.node.ok);
  return {
    vendored: results.length,
    skipped: results.length - ran.length,
    ran: ran.length,
    passNode: onNode.length,
    passNative: ran.filter((r) => r.native.ok).length,
    passBoth: onNode.filter((r) => r.native.ok).length,
  };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const take = (flag) => {
    const at = args.indexOf(flag);
    return at >= 0 ? args.splice(at, 2)[1] : undefined;
  };
  const json = take('--json');
  const jobs = Number(take('--jobs') ?? 2);
  runAll({ filter: args[0] ?? '', jobs }).then((results) => {
    const mark = (r) => (r.status === 'fail' ? `FAIL (${r.signal ?? r.code})` : r.status.toUpperCase());
    for (const r of results) {
      const ms = `${Math.round(r.node.ms)}/${Math.round(r.native.ms)} ms`;
      console.log(`${r.name.padEnd(44)} node:cluster ${mark(r.node).padEnd(10)} native ${mark(r.native).padEnd(10)} ${ms}`);
    }
    const s = summary(results);
    console.log(
      `\n${s.vendored} vendored, ${s.skipped} skipped on this machine; ran ${s.ran}: pass under node:cluster ${s.passNode}, ` +
        `under the native cluster ${s.passNative} (${s.passBoth} of the ${s.passNode} that pass under node:cluster)`,
    );
    for (const r of results.filter((x) => x.node.ok && !x.native.ok)) console.log(`\n--- ${r.name} (native)\n${r.native.output}`);
    if (json) fs.writeFileSync(json, JSON.stringify({ summary: s, results }, null, 2));
  });
}

module.exports = { runAll, runOne, listTests, summary };
