'use strict';

// compare --app: the user's own server file, unchanged, as one process, under node:cluster and
// under the native cluster, loaded by autocannon on 127.0.0.1 (1 s per load to stay quick).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { compare } = require('..');
const { waitForNoChildren, waitForGone } = require('./helpers/processes');

const BIN = path.join(__dirname, '..', 'bin', 'native-parallel.js');
const FIX = path.join(__dirname, 'fixtures', 'compare-own');
const MODES = ['single', 'cluster', 'native-cluster-reuseport', 'native-cluster-shared'];
const ROWS = MODES.flatMap((engine) => ['keep-alive', 'close'].map((connection) => [engine, connection]));

let dir;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'np-compare-app-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI with NP_PIDS_FILE set; `onStart(child, pidsFile)` may act while it runs. */
function cli(args, { onStart, timeoutMs = 120000 } = {}) {
  const pidsFile = path.join(dir, `pids-${process.hrtime.bigint()}`);
  fs.writeFileSync(pidsFile, '');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NP_PIDS_FILE: pidsFile } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pids: serverPids(pidsFile) });
    });
    onStart?.(child, pidsFile);
  });
}

const serverPids = (file) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);

function expectServed(app, urlPath) {
  expect(app).toMatchObject({ path: urlPath, seconds: 1, connections: 16, workers: 2, rounds: 1 });
  expect(app.results.map((r) => [r.engine, r.connection])).toEqual(ROWS);
  for (const r of app.results) {
    expect({ engine: r.engine, connection: r.connection, status: r.status, error: r.error, errors: r.errors }).toEqual({ engine: r.engine, connection: r.connection, status: 'ok', error: undefined, errors: 0 });
    expect(r.workers).toBe(r.engine === 'single' ? 1 : 2);
    expect(r.requestsPerSecond.median).toBeGreaterThan(0);
    expect(r.latencyP99Ms).toBeGreaterThanOrEqual(r.latencyP50Ms);
    expect(r.rssMiB).toBeGreaterThan(0);
    expect(r.errorsDetail).toEqual({ non2xx: 0, socket: 0, timeouts: 0 });
  }
}

describe('native-parallel compare --app', () => {
  test('a plain node:http server serves in every mode with zero errors, and every server process is gone after', async () => {
    const json = path.join(dir, 'http.json');
    const r = await cli(['compare', '--app', path.join(FIX, 'http-server.js'), '--seconds', '1', '--runs', '1', '--workers', '2', '--json', json]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(report.suites.app.file).toBe(path.join(FIX, 'http-server.js'));
    expectServed(report.suites.app, '/');
    expect(report.workloads).toEqual([]);
    // The verdict: per connection kind, the fastest mode and the cluster-or-one-process answer.
    expect(report.verdict.app.map((v) => v.connection)).toEqual(['keep-alive', 'close']);
    for (const v of report.verdict.app) {
      expect(MODES).toContain(v.fastest.engine);
      expect(v.text).toMatch(/cluster or one process\? cluster x2 serves [\d.]+x the requests\/s of one process/);
    }
    expect(r.stdout).toMatch(/app http-server\.js \(GET \/, 16 connections, 1 s per load, 1 round/);
    expect(r.stdout).toMatch(/│ native-cluster-shared x2 +│ new per request +│ [\d,.]+ /);
    // One single process, then a primary and 2 workers per cluster mode: 1 + 3 x 2 ran the file.
    expect(r.pids).toHaveLength(7);
    expect(await waitForGone(r.pids, 'node')).toEqual([]);
  });

  test('--engines keeps only the modes it names; one process always runs as the baseline', async () => {
    const json = path.join(dir, 'engines.json');
    const r = await cli(['compare', '--app', path.join(FIX, 'http-server.js'), '--engines', 'cluster', '--seconds', '1', '--runs', '1', '--workers', '2', '--json', json]);
    expect(r.code).toBe(0);
    const { results } = JSON.parse(fs.readFileSync(json, 'utf8')).suites.app;
    expect(results.map((x) => [x.engine, x.connection, x.status])).toEqual([
      ['single', 'keep-alive', 'ok'],
      ['single', 'close', 'ok'],
      ['cluster', 'keep-alive', 'ok'],
      ['cluster', 'close', 'ok'],
    ]);
    expect(r.stdout).not.toMatch(/native-cluster/);
    // The file ran in one single process, then in 2 cluster workers: 1 + 2.
    expect(r.pids).toHaveLength(3);
    expect(await waitForGone(r.pids, 'node')).toEqual([]);
  });

  test('a server answering 500 is FAILED with the count, exit 1 (and --port-env names its variable)', async () => {
    const json = path.join(dir, '500.json');
    const r = await cli(['compare', '--app', path.join(FIX, 'answers-500.js'), '--port-env', 'APP_PORT', '--seconds', '1', '--runs', '1', '--json', json]);
    expect(r.code).toBe(1);
    const { results } = JSON.parse(fs.readFileSync(json, 'utf8')).suites.app;
    expect(results).toHaveLength(8);
    for (const row of results) {
      expect(row.status).toBe('failed');
      expect(row.errors).toBeGreaterThan(0);
      expect(row.errorsDetail.non2xx).toBe(row.errors);
      expect(row.error).toBe(`${row.errors} errors: ${row.errors} non-2xx responses, 0 socket errors, 0 timeouts (warm-up included)`);
    }
    expect(r.stdout).toMatch(/│ single +│ keep-alive +│ FAILED: \d+ errors: \d+ non-2xx responses/);
    expect(r.stdout).toMatch(/no mode served without errors/);
  });

  test('a server that never listens times out with a clear message, and is ended', async () => {
    const json = path.join(dir, 'never.json');
    const r = await cli(['compare', '--app', path.join(FIX, 'never-listens.js'), '--start-timeout', '1', '--seconds', '1', '--runs', '1', '--json', json]);
    expect(r.code).toBe(1);
    const { results } = JSON.parse(fs.readFileSync(json, 'utf8')).suites.app;
    const single = results.find((x) => x.engine === 'single');
    expect(single.status).toBe('failed');
    expect(single.error).toMatch(/^never-listens\.js did not listen on 127\.0\.0\.1:\d+ within 1 s \(it should listen on process\.env\.PORT\); its output ended with:\nstarting up\.\.\.$/);
    for (const row of results) expect(row).toMatchObject({ status: 'failed', error: expect.stringMatching(/did not listen on 127\.0\.0\.1:\d+ within 1 s/) });
    // The single process ran the file (its output is in the message). A cluster worker forked
    // late in its mode's second may be ended before it ran the file: up to 1 + 3 x 2 did.
    expect(r.pids.length).toBeGreaterThanOrEqual(1);
    expect(r.pids.length).toBeLessThanOrEqual(7);
    expect(await waitForGone(r.pids, 'node')).toEqual([]);
  });

  test('Ctrl-C (SIGINT) while a server is loaded ends every server process the run started', async () => {
    const r = await cli(['compare', '--app', path.join(FIX, 'http-server.js'), '--seconds', '30', '--runs', '1'], {
      onStart: (child, pidsFile) => {
        const poll = setInterval(() => {
          if (serverPids(pidsFile).length > 0) {
            clearInterval(poll);
            child.kill('SIGINT');
          }
        }, 20);
        child.once('exit', () => clearInterval(poll));
      },
    });
    expect(r.signal).toBe('SIGINT');
    expect(r.pids.length).toBeGreaterThan(0);
    expect(await waitForGone(r.pids, 'node')).toEqual([]);
  });

  test.each([
    ['a missing server file', ['--app', 'no-such-server.js'], /must name an existing file/],
    ['a path without a slash', ['--app', path.join(FIX, 'http-server.js'), '--path', 'api'], /must be a request path starting with '\/'/],
    ['a bad variable name', ['--app', path.join(FIX, 'http-server.js'), '--port-env', '1PORT'], /must be an environment variable name/],
    ['zero seconds', ['--app', path.join(FIX, 'http-server.js'), '--seconds', '0'], /--seconds must be a positive integer/],
    ['--seconds without --app', ['--seconds', '2'], /--seconds needs --app/],
  ])('%s exits with code 2 and says why', async (_, args, message) => {
    const r = await cli(['compare', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});

describe('compare({ app })', () => {
  afterEach(async () => {
    expect(await waitForNoChildren()).toEqual([]);
  });

  test('an Express app serves a route in every mode with zero errors, leaving no process or signal handler behind', async () => {
    const listeners = ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'].map((e) => process.listenerCount(e));
    const report = await compare({ app: path.join(FIX, 'express-app.js'), path: '/api/items/7', seconds: 1, runs: 1, workers: 2 });
    expectServed(report.suites.app, '/api/items/7');
    expect(report.options.app).toMatchObject({ path: '/api/items/7', seconds: 1, connections: 16, portEnv: 'PORT' });
    expect(['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'].map((e) => process.listenerCount(e))).toEqual(listeners);
  });
});
