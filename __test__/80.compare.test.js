'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { compare } = require('..');
const registry = require('../lib/compare/engines');
const reference = require('../lib/reference');
const { now, msSince, cpuMark, cpuMsSince, threadsCpuMsBetween } = require('../lib/compare/measure');
const { waitForNoChildren } = require('./helpers/processes');

const BIN = path.join(__dirname, '..', 'bin', 'native-parallel.js');
const ALL_ENGINES = ['js', 'worker_threads', 'piscina', 'cluster', 'native-threads', 'native-processes', 'native-cluster', 'native-workers'];
const KERNELS = ['mandelbrot', 'matmul', 'sha256', 'blur', 'histogram', 'sort', 'primes'];

function cli(args, timeoutMs = 120000) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the CLI', () => {
  test('--help explains every option and workload', async () => {
    const r = await cli(['compare', '--help']);
    expect(r.code).toBe(0);
    for (const word of ['--engines', '--workers', '--size', '--runs', '--json', '--html', ...KERNELS, 'dispatch', 'startup', 'memory', 'ipc', 'http', 'scaling', ...ALL_ENGINES]) {
      expect(r.stdout).toContain(word);
    }
  });

  test.each([
    ['an unknown workload', ['compare', 'fft'], /Unknown workload 'fft'/],
    ['an unknown engine', ['compare', 'primes', '--engines', 'js,gpu'], /Unknown engine 'gpu'/],
    ['a bad worker count', ['compare', 'primes', '--workers', 'two'], /--workers must be a positive integer/],
    ['zero workers', ['compare', 'primes', '--workers', '0'], /--workers must be a positive integer/],
    ['a negative run count', ['compare', 'primes', '--runs', '-3'], /--runs|option/],
    ['a bad size', ['compare', 'primes', '--size', 'huge'], /size/],
    ['an unknown flag', ['compare', '--fast'], /Unknown option '--fast'/],
    ['no command', [], /missing command/],
    ['an unknown command', ['benchmark'], /unknown command 'benchmark'/],
  ])('%s exits with code 2 and says why', async (_, args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  test('a small run prints tables and writes JSON and HTML, leaving no process behind', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'np-compare-'));
    const json = path.join(dir, 'r.json');
    const html = path.join(dir, 'r.html');
    const r = await cli(['compare', 'primes', 'startup', '--engines', 'js,native-threads,cluster', '--size', 'small', '--runs', '1', '--workers', '2', '--json', json, '--html', html]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/primes \(below/);
    expect(r.stdout).toMatch(/startup/);
    expect(r.stdout).toMatch(/efficiency: parallel efficiency, the engine's time on 1 worker/);
    // Not a terminal: plain progress lines, no bar escapes.
    expect(r.stderr).toMatch(/^compare: \d+% /m);
    expect(r.stderr).not.toContain('\u001b');
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(report.options).toMatchObject({ workloads: ['primes', 'startup'], engines: ['js', 'native-threads', 'cluster'], workers: 2, size: 'small', runs: 1 });
    expect(fs.readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('compare()', () => {
  afterEach(async () => {
    expect(await waitForNoChildren()).toEqual([]);
  });

  test('every engine produces verified results on every kernel (small)', async () => {
    const progress = [];
    const report = await compare({ workloads: KERNELS, size: 'small', runs: 1, workers: 2, onProgress: (p) => progress.push(p) });
    expect(report.schema).toBe('native-parallel/compare-report@1');
    expect(report.options.engines).toEqual(ALL_ENGINES);
    expect(report.skipped).toEqual([]);
    expect(report.workloads.map((w) => w.name)).toEqual(KERNELS);
    for (const w of report.workloads) {
      expect(w.results.map((r) => r.engine)).toEqual(ALL_ENGINES);
      for (const r of w.results) {
        expect({ kernel: w.name, engine: r.engine, status: r.status, error: r.error }).toEqual({ kernel: w.name, engine: r.engine, status: 'ok', error: undefined });
        expect(r.timeMs.runs).toBe(1);
        expect(r.timeMs.median).toBeGreaterThan(0);
        expect(r.speedup.median).toBeGreaterThan(0);
        expect(r.speedupPerWorker).toBeCloseTo(r.speedup.median / r.workers, 10);
        expect(r.workers).toBe(r.engine === 'js' ? 1 : 2);
        // One run each: the efficiency is that run's ratio.
        expect(r.oneWorkerMs.runs).toBe(1);
        expect(r.efficiency).toBeCloseTo(r.oneWorkerMs.median / (r.workers * r.timeMs.median), 10);
        if (r.workers === 1) expect(r.oneWorkerMs).toEqual(r.timeMs);
        expect(r.cpuMs.median).toBeGreaterThanOrEqual(0);
        expect(r.peakRssMiB).toBeGreaterThan(0);
      }
      expect(w.results[0].speedup.median).toBe(1);
    }
    const last = progress[progress.length - 1];
    expect(last.done).toBe(last.total);
  });

  test('a wrong result is reported as a failure, not a time', async () => {
    const liar = {
      name: 'liar',
      kind: 'threads',
      describe: 'returns zeros',
      available: () => null,
      start: async () => ({ workers: 1, run: (_k, input) => input.out, noop: () => undefined, pids: () => [], stop: async () => {} }),
    };
    registry.engines.push(liar);
    registry.byName.set('liar', liar);
    try {
      const report = await compare({ workloads: ['mandelbrot'], engines: ['js', 'liar'], size: 'small', runs: 2 });
      const row = report.workloads[0].results.find((r) => r.engine === 'liar');
      expect(row.status).toBe('failed');
      expect(row.error).toMatch(/wrong mandelbrot result/);
      expect(row.timeMs).toBeUndefined();
      expect(report.workloads[0].results[0].status).toBe('ok');
    } finally {
      registry.engines.pop();
      registry.byName.delete('liar');
    }
  });

  test('an engine that lists the workloads it runs is reported as skipped for the others', async () => {
    const partial = {
      name: 'partial',
      kind: 'threads',
      describe: 'runs primes only',
      available: () => null,
      start: async () => ({ workers: 1, kernels: ['primes'], run: (_k, input) => reference.primes(input), noop: () => undefined, pids: () => [], stop: async () => {} }),
    };
    registry.engines.push(partial);
    registry.byName.set('partial', partial);
    try {
      const report = await compare({ workloads: ['primes', 'histogram'], engines: ['js', 'partial'], size: 'small', runs: 1 });
      const [primes, histogram] = report.workloads.map((w) => w.results.find((r) => r.engine === 'partial'));
      expect(primes.status).toBe('ok');
      expect(histogram).toMatchObject({ status: 'skipped', error: 'partial does not run histogram' });
      expect(histogram.timeMs).toBeUndefined();
    } finally {
      registry.engines.pop();
      registry.byName.delete('partial');
    }
  });

  test('an engine that throws is a failure too', async () => {
    const broken = {
      name: 'broken',
      kind: 'threads',
      describe: 'throws',
      available: () => null,
      start: async () => ({ workers: 1, run: () => Promise.reject(new Error('boom')), noop: () => undefined, pids: () => [], stop: async () => {} }),
    };
    registry.engines.push(broken);
    registry.byName.set('broken', broken);
    try {
      const report = await compare({ workloads: ['primes'], engines: ['broken', 'js'], size: 'small', runs: 1 });
      expect(report.workloads[0].results[0]).toMatchObject({ engine: 'broken', status: 'failed', error: 'boom' });
    } finally {
      registry.engines.pop();
      registry.byName.delete('broken');
    }
  });

  describe('parallel efficiency', () => {
    /** An engine that counts its starts; `wrongOnOne` makes its one-worker instance lie, `failOnOne` not start. */
    const fake = ({ wrongOnOne = false, failOnOne = false } = {}) => {
      const starts = [];
      const engine = {
        name: 'fake',
        kind: 'threads',
        describe: 'primes by the reference',
        available: () => null,
        start: async ({ workers }) => {
          starts.push(workers);
          if (failOnOne && workers === 1) throw new Error('no single worker');
          const run = (_k, input) => (wrongOnOne && workers === 1 ? { count: -1 } : reference.primes(input));
          return { workers, run, noop: () => undefined, pids: () => [], stop: async () => {} };
        },
      };
      return { engine, starts };
    };
    const withEngine = async (engine, options) => {
      registry.engines.push(engine);
      registry.byName.set(engine.name, engine);
      try {
        return await compare({ workloads: ['primes'], engines: ['js', engine.name], size: 'small', ...options });
      } finally {
        registry.engines.pop();
        registry.byName.delete(engine.name);
      }
    };

    test('compares an engine with itself on one worker, run in the same rounds', async () => {
      const { engine, starts } = fake();
      const progress = [];
      const report = await withEngine(engine, { runs: 3, workers: 2, onProgress: (p) => progress.push(p) });
      expect(starts).toEqual([2, 1]);
      const row = report.workloads[0].results.find((r) => r.engine === 'fake');
      expect(row).toMatchObject({ status: 'ok', workers: 2, oneWorkerMs: { runs: 3 } });
      expect(row.efficiency).toBeGreaterThan(0);
      expect(row.speedupPerWorker).toBeCloseTo(row.speedup.median / 2, 10);
      expect(progress.filter((p) => p.label === 'primes fake on 1 worker')).toHaveLength(3);
      expect(progress[progress.length - 1].done).toBe(progress[progress.length - 1].total);
    });

    test('is 1 on one worker, with no second instance', async () => {
      const { engine, starts } = fake();
      const report = await withEngine(engine, { runs: 2, workers: 1 });
      expect(starts).toEqual([1]);
      for (const row of report.workloads[0].results) {
        expect(row.efficiency).toBe(1);
        expect(row.oneWorkerMs).toEqual(row.timeMs);
      }
    });

    test.each([
      ['returns a wrong result', { wrongOnOne: true }],
      ['does not start', { failOnOne: true }],
    ])('is unknown (null) when the one-worker instance %s; the engine still reports', async (_, options) => {
      const { engine, starts } = fake(options);
      const report = await withEngine(engine, { runs: 2, workers: 2 });
      expect(starts).toEqual([2, 1]);
      expect(report.skipped).toEqual([]);
      const row = report.workloads[0].results.find((r) => r.engine === 'fake');
      expect(row).toMatchObject({ status: 'ok', oneWorkerMs: null, efficiency: null });
      expect(row.timeMs.runs).toBe(2);
    });

    test('starts no one-worker instance when no compute workload runs', async () => {
      const { engine, starts } = fake();
      registry.engines.push(engine);
      registry.byName.set(engine.name, engine);
      try {
        await compare({ workloads: ['dispatch'], engines: ['fake'], runs: 1, workers: 2 });
      } finally {
        registry.engines.pop();
        registry.byName.delete(engine.name);
      }
      expect(starts).toEqual([2]);
    });
  });

  test('the suites report in the documented shape', async () => {
    const report = await compare({ workloads: ['dispatch', 'startup', 'scaling'], engines: ['js', 'worker_threads', 'native-threads'], size: 'small', runs: 1, workers: 2 });
    expect(report.workloads).toEqual([]);
    const d = report.suites.dispatch;
    expect(d.results.map((r) => r.engine)).toEqual(['worker_threads', 'native-threads']);
    for (const r of d.results) {
      expect(r.latencyUs.p50).toBeLessThanOrEqual(r.latencyUs.p99);
      expect(r.tasksPerSecond.median).toBeGreaterThan(0);
      expect(r.histogram.reduce((s, b) => s + b.count, 0)).toBe(d.sequential);
    }
    expect(report.suites.startup.results.map((r) => r.engine)).toEqual(['worker_threads', 'native-threads']);
    const sc = report.suites.scaling;
    expect(sc.results.map((r) => r.points.map((p) => p.workers))).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });

  test.each([
    [{ workloads: 'mandelbrot' }, 'ERR_INVALID_ARG_TYPE'],
    [{ workloads: [] }, 'ERR_INVALID_ARG_TYPE'],
    [{ workloads: ['fft'] }, 'ERR_UNKNOWN_WORKLOAD'],
    [{ engines: ['gpu'] }, 'ERR_UNKNOWN_ENGINE'],
    [{ workers: 0 }, 'ERR_OUT_OF_RANGE'],
    [{ workers: 1.5 }, 'ERR_OUT_OF_RANGE'],
    [{ runs: NaN }, 'ERR_OUT_OF_RANGE'],
    [{ size: 'huge' }, 'ERR_INVALID_ARG_VALUE'],
    [{ json: 5 }, 'ERR_INVALID_ARG_TYPE'],
    [{ onProgress: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
    [null, 'ERR_INVALID_ARG_TYPE'],
  ])('bad options %p reject with %s', async (options, code) => {
    await expect(compare(options)).rejects.toMatchObject({ code });
  });
});

describe('CPU time of worker processes', () => {
  afterEach(async () => {
    expect(await waitForNoChildren()).toEqual([]);
  });

  const schedstat = (pid, field) => fs.readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => sum + Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[field]), 0) / 1e6;
  const state = (pid) => {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2];
  };
  /** Waits until a worker that has answered is off the CPU (not running, not waiting to run). */
  async function asleep(pid) {
    const deadline = Date.now() + 5000;
    while (state(pid) === 'R') {
      if (Date.now() > deadline) throw new Error(`worker ${pid} still running 5 s after its answer`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  // One process worker spinning 3 ms per run, asleep when a run starts and when it is read (a
  // thread on a CPU shows its time only up to its last tick or switch). In a run's wall time its
  // one thread is on a CPU, waiting for one (schedstat's second field) or asleep, so its CPU
  // time is above 0 and at most wall - waited (every run); while it spins it is on a CPU or
  // waiting for one, so CPU + waited is near 3 ms (the best run: a VM's stolen time is in
  // neither). Counted in 10 ms ticks, as /proc/<pid>/stat does, a run shows 0 or 10 ms.
  test('a busy native-processes worker shows the CPU time it used, not whole 10 ms ticks', async () => {
    const SPIN_MS = 3;
    const instance = await registry.byName.get('native-processes').start({ workers: 1 });
    const runs = [];
    try {
      const [pid] = instance.pids();
      for (let i = 0; i < 8; i++) {
        await asleep(pid);
        const t0 = now();
        const waited0 = schedstat(pid, 1);
        const mark = cpuMark([pid], { self: false });
        await instance.run('spin', { micros: SPIN_MS * 1000 });
        await asleep(pid);
        const cpuMs = cpuMsSince(mark);
        const wallMs = msSince(t0);
        runs.push({ cpuMs, wallMs, waitedMs: schedstat(pid, 1) - waited0 });
      }
    } finally {
      await instance.stop();
    }
    expect(runs.filter((r) => !(r.cpuMs > 0 && r.cpuMs <= 1.5 * (r.wallMs - r.waitedMs)))).toEqual([]);
    expect(Math.max(...runs.map((r) => r.cpuMs + r.waitedMs))).toBeGreaterThanOrEqual(0.8 * SPIN_MS);
  });

  test('a worker process that is gone counts nothing after the mark, and no error', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    const mark = cpuMark([child.pid], { self: false });
    expect(mark.threads.size).toBeGreaterThan(0);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(cpuMsSince(mark)).toBe(0);
    expect(cpuMsSince(cpuMark([2 ** 22 + 1], { self: false }))).toBe(0); // above pid_max: never a process
  });

  test('threads born since the mark count whole, threads gone count nothing more, nothing counts below zero', () => {
    const before = new Map([
      ['10/10', 5e6],
      ['10/11', 2e6],
      ['20/20', 1e6],
    ]);
    const after = new Map([
      ['10/10', 7.5e6], // +2.5 ms
      ['10/12', 1e6], // born since: 1 ms
      ['20/20', 0.5e6], // a pid reused by a new process: not negative
    ]);
    expect(threadsCpuMsBetween(before, after)).toBeCloseTo(3.5, 9);
    expect(threadsCpuMsBetween(before, new Map())).toBe(0);
  });
});
