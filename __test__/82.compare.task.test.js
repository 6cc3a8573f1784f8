'use strict';

// compare --task: the user's own function on every engine that runs JavaScript, checked against
// the main thread's results.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { compare } = require('..');
const { waitForNoChildren } = require('./helpers/processes');

const BIN = path.join(__dirname, '..', 'bin', 'native-parallel.js');
const FIX = path.join(__dirname, 'fixtures', 'compare-own');
const JS_ENGINES = ['js', 'worker_threads', 'piscina', 'cluster', 'native-cluster', 'native-workers'];
const KERNEL_ONLY = ['native-threads', 'native-processes'];

function cli(args, timeoutMs = 120000) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

let dir;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'np-compare-task-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const rowsOf = (report) => new Map(report.workloads[0].results.map((r) => [r.engine, r]));

describe('compare({ task })', () => {
  afterEach(async () => {
    expect(await waitForNoChildren()).toEqual([]);
  });

  test('a CPU-bound CommonJS task runs on every JavaScript engine and agrees with the main thread', async () => {
    const report = await compare({ task: path.join(FIX, 'fib-task.js'), tasks: 16, runs: 2, workers: 2 });
    expect(report.options.task).toMatchObject({ file: path.join(FIX, 'fib-task.js'), name: 'default', tasks: 16, check: true });
    expect(report.workloads).toHaveLength(1);
    const w = report.workloads[0];
    expect(w).toMatchObject({ name: 'fib-task.js', kind: 'task', file: path.join(FIX, 'fib-task.js'), function: 'default', tasks: 16, checked: true });
    const rows = rowsOf(report);
    for (const engine of JS_ENGINES) {
      const r = rows.get(engine);
      expect({ engine, status: r.status, error: r.error }).toEqual({ engine, status: 'ok', error: undefined });
      expect(r).toMatchObject({ checked: true, workers: engine === 'js' ? 1 : 2 });
      expect(r.timeMs.runs).toBe(2);
      expect(r.runsMs).toHaveLength(2);
      expect(r.speedup.median).toBeGreaterThan(0);
      expect(r.tasksPerSecond.max).toBeCloseTo(16 / (Math.min(...r.runsMs) / 1000), 6);
      expect(r.tasksPerSecond.min).toBeCloseTo(16 / (Math.max(...r.runsMs) / 1000), 6);
      expect(r.latencyUs.p50).toBeGreaterThan(0);
      expect(r.latencyUs.p99).toBeGreaterThanOrEqual(r.latencyUs.p50);
      expect(r.latencyUs.max).toBeGreaterThanOrEqual(r.latencyUs.p99);
      expect(r.latencyUs.mean).toBeGreaterThan(0);
      expect(r.cpuMs.median).toBeGreaterThan(0);
      expect(r.peakRssMiB).toBeGreaterThan(0);
    }
    expect(rows.get('js').speedup.median).toBe(1);
    for (const engine of KERNEL_ONLY) {
      expect(rows.get(engine)).toMatchObject({ status: 'skipped', error: `${engine} runs the package's Rust kernels, not your JavaScript` });
    }
    // The verdict names an engine that ran, and answers the question with both sides' numbers.
    const [v] = report.verdict.workloads;
    expect(JS_ENGINES).toContain(v.fastest.engine);
    expect(v.clusterOrThreads.answer).toMatch(/^(cluster|worker_threads)$/);
    expect(v.clusterOrThreads.worker_threads.timeMs).toBe(rows.get('worker_threads').timeMs.median);
    expect(v.clusterOrThreads.cluster.timeMs).toBe(rows.get('cluster').timeMs.median);
    expect(v.nativeAdds).toContainEqual(expect.objectContaining({ engine: 'native-cluster', versus: 'cluster' }));
    expect(v.nativeAdds).toContainEqual(expect.objectContaining({ engine: 'native-workers', versus: 'worker_threads' }));
    expect(v.nativeAdds).toContainEqual(expect.objectContaining({ engine: 'native-workers', versus: 'piscina' }));
    expect(report.verdict.text[0]).toMatch(/^fib-task\.js: fastest correct engine: /);
  });

  test('a task that throws is a FAILED row on every engine, the main thread too, naming the task', async () => {
    const report = await compare({ task: path.join(FIX, 'throws.js'), tasks: 8, runs: 1, workers: 2 });
    const rows = rowsOf(report);
    for (const engine of JS_ENGINES) {
      expect(rows.get(engine)).toMatchObject({ status: 'failed', error: 'task 3 threw: RangeError: input 3 is not allowed' });
      expect(rows.get(engine).timeMs).toBeUndefined();
    }
    expect(report.verdict.workloads[0].fastest).toBeNull();
  });

  test('without --tasks, the count makes about a second of main-thread work, at least 4 per worker', async () => {
    const report = await compare({ task: path.join(FIX, 'spin.js'), input: 5, engines: ['js'], runs: 1, workers: 2 });
    const { tasks } = report.workloads[0];
    // A 5 ms task: at most 1000 / 5 (the calibration run cannot be faster than the spin), at least 8.
    expect(tasks).toBeGreaterThanOrEqual(8);
    expect(tasks).toBeLessThanOrEqual(200);
    expect(report.options.task.tasks).toBeNull();
  });

  test('bad task options are Node-style errors before anything runs', async () => {
    await expect(compare({ task: path.join(FIX, 'nope.js') })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', message: /must name an existing file/ });
    await expect(compare({ task: 42 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(compare({ task: path.join(FIX, 'spin.js'), tasks: 0 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(compare({ task: path.join(FIX, 'spin.js'), check: 'no' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(compare({ task: path.join(FIX, 'spin.js'), name: 'missing', engines: ['js'] })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: /has no function exported as 'missing' \(exports: default\)/,
    });
  });
});

describe('results are compared as structured clones', () => {
  const { asClone, firstDifference } = require('../lib/compare/task/check');
  const same = (a, b) => firstDifference([a], [asClone(b)]) === null;

  test('what a worker hands back equals what the main thread made', () => {
    class Point {
      constructor(x) {
        this.x = x;
      }
    }
    expect(same(new Uint8Array([1, 2]), Buffer.from([1, 2]))).toBe(true); // postMessage gives a Uint8Array for a Buffer
    expect(same({ x: 1 }, new Point(1))).toBe(true); // class instances arrive as plain objects
    expect(same({ n: NaN, m: new Map([['a', 1]]), d: new Date(5) }, { n: NaN, m: new Map([['a', 1]]), d: new Date(5) })).toBe(true);
  });

  test('real differences are found, with the first differing task', () => {
    expect(same(-0, 0)).toBe(false);
    expect(same(new Uint16Array([1, 2]), new Uint8Array([1, 2]))).toBe(false);
    expect(same({ a: undefined }, {})).toBe(false);
    expect(firstDifference([1, 2, 3, 4], [1, 2, 9, 8].map(asClone))).toEqual({ task: 2, actual: '3', expected: '9' });
  });
});

describe('native-parallel compare --task', () => {
  test('an async ESM task agrees on every engine; JSON and table say so', async () => {
    const json = path.join(dir, 'hash.json');
    const r = await cli(['compare', '--task', path.join(FIX, 'hash-task.mjs'), '--tasks', '12', '--runs', '1', '--workers', '2', '--json', json]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    const rows = rowsOf(report);
    for (const engine of JS_ENGINES) expect({ engine, status: rows.get(engine).status, error: rows.get(engine).error }).toEqual({ engine, status: 'ok', error: undefined });
    expect(report.workloads[0].describe).toMatch(/12 tasks of the default export, inputs from inputs\(\)/);
    expect(r.stdout).toMatch(/task hash-task\.mjs \(12 tasks/);
    expect(r.stdout).toMatch(/│ native-cluster +│ 2 +│ [\d.]+ \([\d.]+-[\d.]+\)/);
    expect(r.stdout).toMatch(/Verdict \(this machine, this run\):\n- hash-task\.mjs: fastest correct engine: /);
    expect(r.stdout).toMatch(/cluster or worker_threads\? (cluster|worker_threads), [\d.]+x faster/);
  });

  test('--name runs a named export with --input for every task', async () => {
    const json = path.join(dir, 'digest.json');
    const r = await cli(['compare', '--task', path.join(FIX, 'hash-task.mjs'), '--name', 'digest', '--input', '"abc"', '--tasks', '4', '--runs', '1', '--engines', 'js,worker_threads,cluster,native-workers', '--json', json]);
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(report.workloads[0]).toMatchObject({ name: 'hash-task.mjs#digest', function: 'digest', tasks: 4 });
    // A Buffer from the main thread, a Uint8Array from a Worker: equal as structured clones.
    expect(report.workloads[0].results.map((x) => x.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(report.options.task.input).toBe('abc');
  });

  test('results that differ between a worker and the main thread are FAILED rows with the first differing task, exit 1', async () => {
    const json = path.join(dir, 'where.json');
    const r = await cli(['compare', '--task', path.join(FIX, 'where.js'), '--input', '7', '--tasks', '8', '--runs', '1', '--workers', '2', '--json', json]);
    expect(r.code).toBe(1);
    const rows = rowsOf(JSON.parse(fs.readFileSync(json, 'utf8')));
    expect(rows.get('js').status).toBe('ok');
    for (const engine of JS_ENGINES.slice(1)) {
      expect(rows.get(engine)).toMatchObject({
        status: 'failed',
        error: "task 0: result differs from the main thread's: got { input: 7, onMainThread: false }, expected { input: 7, onMainThread: true }",
        mismatch: { task: 0, actual: '{ input: 7, onMainThread: false }', expected: '{ input: 7, onMainThread: true }' },
      });
    }
    expect(r.stdout).toMatch(/│ worker_threads +│ 2 +│ FAILED: task 0: result differs/);
  });

  test('--no-check runs the same task unchecked, and exits 0', async () => {
    const json = path.join(dir, 'unchecked.json');
    const r = await cli(['compare', '--task', path.join(FIX, 'where.js'), '--no-check', '--tasks', '4', '--runs', '1', '--engines', 'js,worker_threads,cluster', '--json', json]);
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(report.workloads[0].checked).toBe(false);
    expect(report.workloads[0].results.map((x) => [x.status, x.checked])).toEqual([['ok', false], ['ok', false], ['ok', false]]);
    expect(r.stdout).toMatch(/│ unchecked +│/);
    expect(r.stdout).toMatch(/fastest engine \(results unchecked\)/);
  });

  test('a throwing task exits 1', async () => {
    const r = await cli(['compare', '--task', path.join(FIX, 'throws.js'), '--tasks', '4', '--runs', '1', '--engines', 'js,cluster']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED: task 3 threw: RangeError: input 3 is not allowed/);
  });

  test.each([
    ['a missing task file', ['--task', 'no-such-task.js'], /must name an existing file/],
    ['a missing export', ['--task', path.join(FIX, 'spin.js'), '--name', 'nope', '--engines', 'js'], /has no function exported as 'nope'/],
    ['--input that is not JSON', ['--task', path.join(FIX, 'spin.js'), '--input', '{nope'], /--input must be JSON/],
    ['zero tasks', ['--task', path.join(FIX, 'spin.js'), '--tasks', '0'], /--tasks must be a positive integer/],
    ['--name without --task', ['--name', 'x'], /--name needs --task/],
    ['--no-check without --task', ['--no-check'], /--no-check needs --task/],
  ])('%s exits with code 2 and says why', async (_, args, message) => {
    const r = await cli(['compare', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});
