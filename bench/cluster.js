#!/usr/bin/env node
'use strict';

/**
 * Cluster benchmark (issue: native cluster). Everything side by side in one run, engines
 * alternated round by round, a warm-up round first, medians (min-max) of the counted rounds and
 * per-round ratios, as ../shared BENCHMARKS asks:
 *
 *   node bench/cluster.js [--runs N] [--seconds S] [--connections C] [--only ipc,http,startup] [--json FILE]
 *
 * 1. IPC echo, 1 KiB objects: round trips/s with 100 in flight, node's echo.js shape (10 per
 *    broadcast), and ping-pong latency (mean, p50, p99); native vs node:cluster, each
 *    serialization. 1b: 1 KiB Buffers, node:cluster (advanced) vs native serialized vs native
 *    raw frames (`send(buf, undefined, { raw: true })`); `--only ipc-buffer` runs 1b alone.
 * 2. HTTP hello world, 2 workers, 127.0.0.1, autocannon in its own process, bounded: native
 *    reuseport / native shared / node:cluster (round-robin) / one plain process; keep-alive and
 *    a new connection per request (`Connection: close`). req/s and p99.
 * 3. How evenly requests (and connections) spread over the 2 workers in each mode.
 * 4. fork() to 'online', native vs node:cluster.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { parseArgs } = require('node:util');
const nodeCluster = require('node:cluster');
const Table = require('cli-table3');
const { Primary } = require('../lib/cluster/primary');
const { summary, fmt, fmtRange } = require('./lib/measure');

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    only: { type: 'string', default: 'ipc,http,startup' },
    json: { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const ONLY = new Set(args.only.split(','));
const WORKER = path.join(__dirname, 'cluster-worker.js');
const LOAD = path.join(__dirname, 'lib', 'load.js');

const now = () => process.hrtime.bigint();
const sinceMs = (t0) => Number(now() - t0) / 1e6;
const once = (emitter, event) => new Promise((resolve) => emitter.once(event, (...a) => resolve(a)));

/** node's benchmark/cluster/echo.js 'object' payload, for reference beside the 1 KiB one. */
const SMALL = { action: 'pewpewpew', powerLevel: 9001 };
/** A 1 KiB object (1024 bytes as JSON): a few fields, a small array, a string. */
const MESSAGE = { id: 12345, kind: 'order', ok: true, price: 19.99, tags: ['alpha', 'beta', 'gamma'], data: 'x'.repeat(931) };
if (JSON.stringify(MESSAGE).length !== 1024) throw new Error(`MESSAGE is ${JSON.stringify(MESSAGE).length} bytes`);

const results = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, kernel: os.release() },
  settings: { runs: RUNS, seconds: SECONDS, connections: CONNECTIONS, messageBytes: 1024 },
  sections: {},
};

function table(title, head, rows) {
  const t = new Table({ head, style: { head: [], border: [] } });
  rows.forEach((r) => t.push(r));
  console.log(`\n${title}\n${t.toString()}`);
}

/**
 * Runs `measure(engine)` for every engine, warm-up round first, rotating the order each round.
 * @returns {Promise<Record<string, any[]>>} per engine, one value per counted round
 */
async function rounds(engines, measure, warmup = 1) {
  const names = Object.keys(engines);
  const out = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < warmup + RUNS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      const value = await measure(engines[name], name);
      if (round >= warmup) out[name].push(value);
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  return out;
}

const ratio = (a, b) => summary(a.map((x, i) => x / b[i]));
const pick = (values, key) => values.map((v) => v[key]);

// ---------------------------------------------------------------------------------------------
// Engines: node:cluster workers and native workers, started before anything is timed.

function forkNode(env, serialization = 'json') {
  nodeCluster.setupPrimary({ exec: WORKER, execArgv: [], serialization, silent: false });
  return nodeCluster.fork({ BENCH_ENGINE: 'node', ...env });
}

function nativeCluster(settings) {
  const cluster = new Primary();
  cluster.setupPrimary({ exec: WORKER, execArgv: [], handleSignals: false, restart: false, ...settings });
  return cluster;
}

// ---------------------------------------------------------------------------------------------
// 1. IPC echo

/** Sends `message` to `worker` (raw frames for the workers in `RAW`). */
const RAW = new WeakSet();
const sendTo = (worker, message) => (RAW.has(worker) ? worker.send(message, undefined, { raw: true }) : worker.send(message));

/** `total` echo round trips with at most `window` in flight; returns round trips/s. */
function echo(worker, total, window, message = MESSAGE) {
  return new Promise((resolve) => {
    let sent = 0;
    let got = 0;
    const t0 = now();
    const onMessage = () => {
      got++;
      if (got === total) {
        worker.off('message', onMessage);
        resolve(total / (sinceMs(t0) / 1000));
      } else if (sent < total) {
        sendTo(worker, message);
        sent++;
      }
    };
    worker.on('message', onMessage);
    for (; sent < Math.min(window, total); sent++) sendTo(worker, message);
  });
}

/** CPU time (ns) of every thread of process `pid` so far (schedstat: nanosecond resolution). */
function cpuNs(pid) {
  let ns = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended while we looked
    }
  }
  return ns;
}

/**
 * `echo()`, and the CPU time both processes (primary and worker, every thread) spent per round
 * trip: on a machine shared with other work, messages/s say how much CPU this run got; CPU per
 * message says what a message costs.
 */
async function echoWithCpu(worker, total, window, message) {
  const pids = [process.pid, worker.process.pid];
  const before = pids.map(cpuNs);
  const rate = await echo(worker, total, window, message);
  const cpuUs = pids.reduce((sum, pid, i) => sum + cpuNs(pid) - before[i], 0) / total / 1000;
  return { rate, cpuUs };
}

/** node's benchmark/cluster/echo.js shape: send `batch`, wait for all of them, repeat. */
function broadcast(worker, total, batch) {
  return new Promise((resolve) => {
    let got = 0;
    let inBatch = 0;
    const t0 = now();
    const sendBatch = () => {
      for (let i = 0; i < batch; i++) worker.send(MESSAGE);
    };
    const onMessage = () => {
      got++;
      if (++inBatch < batch) return;
      inBatch = 0;
      if (got >= total) {
        worker.off('message', onMessage);
        resolve(got / (sinceMs(t0) / 1000));
      } else sendBatch();
    };
    worker.on('message', onMessage);
    sendBatch();
  });
}

/** `count` ping-pongs one at a time; returns per-round-trip latency mean and percentiles (µs). */
function pingPong(worker, count, message = MESSAGE) {
  return new Promise((resolve) => {
    const times = [];
    let t0 = now();
    const onMessage = () => {
      times.push(Number(now() - t0) / 1e3);
      if (times.length === count) {
        worker.off('message', onMessage);
        times.sort((a, b) => a - b);
        const mean = times.reduce((a, b) => a + b, 0) / count;
        resolve({ mean, p50: times[Math.floor(count * 0.5)], p99: times[Math.floor(count * 0.99)] });
      } else {
        t0 = now();
        sendTo(worker, message);
      }
    };
    worker.on('message', onMessage);
    sendTo(worker, message);
  });
}

async function ipcSection() {
  console.log('\n[1/4] IPC echo, 1 KiB objects');
  const nativeJson = nativeCluster({ serialization: 'json' });
  const nativeAdv = nativeCluster({ serialization: 'advanced' });
  const workers = {
    'node:cluster json (default)': forkNode({ BENCH_MODE: 'echo' }, 'json'),
    'node:cluster advanced': forkNode({ BENCH_MODE: 'echo' }, 'advanced'),
    'native advanced': nativeAdv.fork({ BENCH_ENGINE: 'native', BENCH_MODE: 'echo' }),
    'native json (default)': nativeJson.fork({ BENCH_ENGINE: 'native', BENCH_MODE: 'echo' }),
  };
  await Promise.all(Object.values(workers).map((w) => once(w, 'online')));
  // Every engine echoes the message back unchanged before anything counts.
  for (const [name, w] of Object.entries(workers)) {
    const [back] = await Promise.all([once(w, 'message'), w.send(MESSAGE)]);
    if (JSON.stringify(back[0]) !== JSON.stringify(MESSAGE)) throw new Error(`${name} echoed a different message`);
  }
  const values = await rounds(workers, async (w) => {
    const { rate, cpuUs } = await echoWithCpu(w, 20000, 100, MESSAGE);
    return {
      pipelined: rate,
      cpuUs,
      broadcast10: await broadcast(w, 20000, 10),
      ...(await pingPong(w, 2000)),
      small: await echo(w, 50000, 100, SMALL),
    };
  });
  const base = 'node:cluster json (default)';
  const likeFor = { 'node:cluster json (default)': base, 'node:cluster advanced': 'node:cluster advanced', 'native advanced': 'node:cluster advanced', 'native json (default)': base };
  const rows = [];
  const section = {};
  for (const [name, v] of Object.entries(values)) {
    const pipelined = summary(pick(v, 'pipelined'));
    const b10 = summary(pick(v, 'broadcast10'));
    const vsDefault = ratio(pick(v, 'pipelined'), pick(values[base], 'pipelined'));
    const vsLike = ratio(pick(v, 'pipelined'), pick(values[likeFor[name]], 'pipelined'));
    const vsB10 = ratio(pick(v, 'broadcast10'), pick(values[base], 'broadcast10'));
    const p50 = summary(pick(v, 'p50'));
    const p99 = summary(pick(v, 'p99'));
    const mean = summary(pick(v, 'mean'));
    const p50Vs = ratio(pick(v, 'p50'), pick(values[likeFor[name]], 'p50'));
    const cpu = summary(pick(v, 'cpuUs'));
    const cpuVs = ratio(pick(values[likeFor[name]], 'cpuUs'), pick(v, 'cpuUs'));
    const small = summary(pick(v, 'small'));
    const smallVs = ratio(pick(v, 'small'), pick(values[base], 'small'));
    rows.push([
      name,
      fmtRange(pipelined),
      `${fmt(vsDefault.median)}x / ${fmt(vsLike.median)}x`,
      `${fmtRange(cpu)} (${fmt(cpuVs.median)}x)`,
      fmtRange(b10),
      `${fmt(vsB10.median)}x`,
      fmtRange(mean),
      `${fmtRange(p50)} (${fmt(p50Vs.median)}x)`,
      fmtRange(p99),
      `${fmtRange(small)} (${fmt(smallVs.median)}x)`,
    ]);
    section[name] = {
      pipelined,
      broadcast10: b10,
      ratioVsNodeDefault: vsDefault,
      ratioVsSameSerialization: vsLike,
      cpuUsPerRoundTrip: cpu,
      cpuRatioSameSerialization: cpuVs,
      broadcast10VsNodeDefault: vsB10,
      latencyMeanUs: mean,
      latencyP50Us: p50,
      latencyP50VsSameSerialization: p50Vs,
      latencyP99Us: p99,
      smallObjectPipelined: small,
      smallObjectVsNodeDefault: smallVs,
    };
  }
  table(
    'IPC echo round trips/s (1 KiB object each way); ratio = per-round median vs node:cluster default / vs node:cluster with the same serialization',
    ['engine', '100 in flight', 'ratio', 'CPU µs per round trip, both processes (node / this)', "10 per broadcast (node's echo.js)", 'ratio', 'ping-pong mean µs', 'p50 µs (vs same serialization)', 'p99 µs', 'small object, 100 in flight'],
    rows,
  );
  results.sections.ipc = section;
  for (const w of Object.values(workers)) if (!w.isDead()) w.kill();
  await Promise.all([nativeAdv.shutdown(), nativeJson.shutdown()]);
}

/** 1 KiB Buffers echoed: node:cluster (advanced serialization) against the native raw frames. */
async function ipcBufferSection() {
  console.log('\n[1b/4] IPC echo, 1 KiB Buffers');
  const payload = Buffer.alloc(1024, 7);
  const nativeAdv = nativeCluster({ serialization: 'advanced' });
  const nativeRaw = nativeCluster({ serialization: 'advanced' });
  const workers = {
    'node:cluster advanced': forkNode({ BENCH_MODE: 'echo' }, 'advanced'),
    'native advanced (serialized)': nativeAdv.fork({ BENCH_ENGINE: 'native', BENCH_MODE: 'echo' }),
    'native raw frames ({ raw: true })': nativeRaw.fork({ BENCH_ENGINE: 'native', BENCH_MODE: 'echo', BENCH_RAW: '1' }),
  };
  RAW.add(workers['native raw frames ({ raw: true })']);
  await Promise.all(Object.values(workers).map((w) => once(w, 'online')));
  for (const [name, w] of Object.entries(workers)) {
    const [back] = await Promise.all([once(w, 'message'), sendTo(w, payload)]);
    if (!Buffer.isBuffer(back[0]) || !back[0].equals(payload)) throw new Error(`${name} echoed something else than the Buffer`);
  }
  const values = await rounds(workers, async (w) => {
    const { rate, cpuUs } = await echoWithCpu(w, 40000, 100, payload);
    return { pipelined: rate, cpuUs, ...(await pingPong(w, 2000, payload)) };
  });
  const base = 'node:cluster advanced';
  const rows = [];
  const section = {};
  for (const [name, v] of Object.entries(values)) {
    const pipelined = summary(pick(v, 'pipelined'));
    const vs = ratio(pick(v, 'pipelined'), pick(values[base], 'pipelined'));
    const mean = summary(pick(v, 'mean'));
    const p50 = summary(pick(v, 'p50'));
    const p50Vs = ratio(pick(v, 'p50'), pick(values[base], 'p50'));
    const p99 = summary(pick(v, 'p99'));
    const cpu = summary(pick(v, 'cpuUs'));
    const cpuVs = ratio(pick(values[base], 'cpuUs'), pick(v, 'cpuUs'));
    rows.push([name, fmtRange(pipelined), `${fmt(vs.median)}x (${fmt(vs.min)}-${fmt(vs.max)})`, `${fmtRange(cpu)} (${fmt(cpuVs.median)}x)`, fmtRange(mean), `${fmtRange(p50)} (${fmt(p50Vs.median)}x)`, fmtRange(p99)]);
    section[name] = { pipelined, ratioVsNodeAdvanced: vs, cpuUsPerRoundTrip: cpu, cpuRatioVsNodeAdvanced: cpuVs, latencyMeanUs: mean, latencyP50Us: p50, latencyP50VsNodeAdvanced: p50Vs, latencyP99Us: p99 };
  }
  table(
    'IPC echo of a 1 KiB Buffer, round trips/s with 100 in flight; ratio = per-round median vs node:cluster advanced',
    ['engine', '100 in flight', 'ratio (min-max)', 'CPU µs per round trip (node / this)', 'ping-pong mean µs', 'p50 µs (vs node)', 'p99 µs'],
    rows,
  );
  results.sections.ipcBuffer = section;
  for (const w of Object.values(workers)) if (!w.isDead()) w.kill();
  await Promise.all([nativeAdv.shutdown(), nativeRaw.shutdown()]);
}

// ---------------------------------------------------------------------------------------------
// 2 and 3. HTTP

function runLoad(port, close) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOAD, String(port), String(CONNECTIONS), String(SECONDS), close ? '1' : '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited ${code}`))));
  });
}

async function statsOf(workers) {
  const replies = await Promise.all(
    workers.map(async (w) => {
      const got = once(w, 'message');
      w.send({ cmd: 'stats' });
      return (await got)[0].stats;
    }),
  );
  return replies;
}

async function startSingle() {
  const child = spawn(process.execPath, [WORKER], { env: { ...process.env, BENCH_ENGINE: 'single', BENCH_MODE: 'http' }, stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await once(child.stdout, 'data');
  return { child, port: JSON.parse(String(line)).port };
}

async function listeningCluster(start, n) {
  const ports = [];
  const workers = [];
  for (let i = 0; i < n; i++) workers.push(start());
  await Promise.all(workers.map(async (w) => ports.push((await once(w, 'listening'))[0].port)));
  if (new Set(ports).size !== 1) throw new Error('workers listen on different ports');
  return { workers, port: ports[0] };
}

async function httpSection() {
  console.log(`\n[2/4] HTTP hello world, 2 workers, ${CONNECTIONS} connections, ${SECONDS} s per run`);
  const reuse = nativeCluster({ balance: 'reuseport' });
  const dropin = nativeCluster({ balance: 'reuseport' });
  const shared = nativeCluster({ balance: 'shared' });
  const env = { BENCH_MODE: 'http', BENCH_ENGINE: 'native' };
  const servers = {
    'native reuseport': await listeningCluster(() => reuse.fork(env), 2),
    'native reuseport, drop-in listen()': await listeningCluster(() => dropin.fork({ BENCH_MODE: 'http', BENCH_ENGINE: 'native-dropin' }), 2),
    'native shared': await listeningCluster(() => shared.fork(env), 2),
    'node:cluster (round-robin)': await listeningCluster(() => forkNode({ BENCH_MODE: 'http' }), 2),
    'single process': await startSingle(),
  };
  // Correct before fast: each server answers.
  for (const [name, s] of Object.entries(servers)) {
    const r = await fetch(`http://127.0.0.1:${s.port}/`);
    if ((await r.text()) !== 'Hello World') throw new Error(`${name} gave a wrong answer`);
  }
  if (servers['single process'].workers === undefined) servers['single process'].workers = [];
  await Promise.all(Object.values(servers).map((s) => s.workers.length && statsOf(s.workers)));
  const section = {};
  for (const close of [false, true]) {
    const label = close ? 'new connection per request' : 'keep-alive';
    const values = await rounds(servers, async (s) => {
      const r = await runLoad(s.port, close);
      if (r.failures > 0) throw new Error(`${r.failures} failed requests`);
      const stats = s.workers.length ? await statsOf(s.workers) : [];
      const total = stats.reduce((a, x) => a + x.requests, 0) || 1;
      const conns = stats.reduce((a, x) => a + x.connections, 0) || 1;
      return {
        rps: r.rps,
        p99: r.p99,
        p50: r.p50,
        busiestShare: stats.length ? Math.max(...stats.map((x) => x.requests / total)) : NaN,
        busiestConnShare: stats.length ? Math.max(...stats.map((x) => x.connections / conns)) : NaN,
      };
    });
    const base = 'node:cluster (round-robin)';
    const rows = [];
    section[label] = {};
    for (const [name, v] of Object.entries(values)) {
      const rps = summary(pick(v, 'rps'));
      const vsNode = ratio(pick(v, 'rps'), pick(values[base], 'rps'));
      const p99 = summary(pick(v, 'p99'));
      const p99Ratio = ratio(pick(v, 'p99'), pick(values[base], 'p99'));
      const share = name === 'single process' ? null : summary(pick(v, 'busiestShare'));
      const connShare = name === 'single process' ? null : summary(pick(v, 'busiestConnShare'));
      rows.push([
        name,
        fmtRange(rps),
        `${fmt(vsNode.median)}x`,
        fmtRange(summary(pick(v, 'p50'))),
        fmtRange(p99),
        `${fmt(p99Ratio.median)}x`,
        share ? `${(share.median * 100).toFixed(0)}% (${(share.min * 100).toFixed(0)}-${(share.max * 100).toFixed(0)})` : '-',
        connShare ? `${(connShare.median * 100).toFixed(0)}%` : '-',
      ]);
      section[label][name] = { rps, rpsVsNodeCluster: vsNode, p50Ms: summary(pick(v, 'p50')), p99Ms: p99, p99VsNodeCluster: p99Ratio, busiestWorkerRequestShare: share, busiestWorkerConnectionShare: connShare };
    }
    table(
      `HTTP ${label}: req/s, latency (ms) and [3/4] the busiest worker's share of requests / connections (50% = even)`,
      ['server', 'req/s', 'vs node:cluster', 'p50 ms', 'p99 ms', 'p99 vs node', 'busiest worker, requests', 'connections'],
      rows,
    );
    // The drop-in path (a plain server.listen() in the worker) against cluster.listen(), per round.
    const dropinName = 'native reuseport, drop-in listen()';
    const dropinVsListen = ratio(pick(values[dropinName], 'rps'), pick(values['native reuseport'], 'rps'));
    const dropinP99 = ratio(pick(values[dropinName], 'p99'), pick(values['native reuseport'], 'p99'));
    section[label].dropinVsClusterListen = { rps: dropinVsListen, p99: dropinP99 };
    console.log(`drop-in listen() vs cluster.listen() (${label}): req/s ${fmt(dropinVsListen.median)}x (${fmt(dropinVsListen.min)}-${fmt(dropinVsListen.max)}), p99 ${fmt(dropinP99.median)}x`);
  }
  results.sections.http = section;
  servers['single process'].child.stdin.end();
  await Promise.all([reuse.shutdown(), dropin.shutdown(), shared.shutdown()]);
  for (const w of Object.values(nodeCluster.workers)) w.kill();
}

// ---------------------------------------------------------------------------------------------
// 4. fork() to online

async function startupSection() {
  console.log('\n[4/4] fork() to online');
  const native = nativeCluster({});
  const engines = {
    'node:cluster': () => forkNode({ BENCH_MODE: 'echo' }),
    native: () => native.fork({ BENCH_ENGINE: 'native', BENCH_MODE: 'echo' }),
  };
  const values = await rounds(engines, async (fork) => {
    const t0 = now();
    const w = fork();
    await once(w, 'online');
    const ms = sinceMs(t0);
    const exited = once(w, 'exit');
    w.kill();
    await exited;
    return ms;
  });
  const rows = [];
  results.sections.startup = {};
  for (const [name, v] of Object.entries(values)) {
    const s = summary(v);
    const r = ratio(values['node:cluster'], v);
    rows.push([name, fmtRange(s, ' ms'), `${fmt(r.median)}x`]);
    results.sections.startup[name] = { forkToOnlineMs: s, speedupVsNodeCluster: r };
  }
  table('fork() to online (ms); speedup = node:cluster time / this time, per round', ['engine', 'fork to online', 'speedup'], rows);
  await native.shutdown();
}

async function main() {
  const load = () => os.loadavg()[0].toFixed(2);
  console.log(`cluster benchmark: ${RUNS} counted rounds after 1 warm-up, engines alternated; ${os.cpus().length} cores, load ${load()}`);
  console.log('Physical limits: 2 cores shared by the workers and the load generator; one HTTP request costs at least a loopback round trip.');
  try {
    results.machine.tcpMigrateReq = execFileSync('cat', ['/proc/sys/net/ipv4/tcp_migrate_req']).toString().trim();
  } catch {
    // not Linux
  }
  if (ONLY.has('ipc')) await ipcSection();
  if (ONLY.has('ipc') || ONLY.has('ipc-buffer')) await ipcBufferSection();
  if (ONLY.has('http')) await httpSection();
  if (ONLY.has('startup')) await startupSection();
  console.log(`\nload average at the end: ${load()}`);
  if (args.json) fs.writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
  for (const w of Object.values(nodeCluster.workers ?? {})) w.kill();
});
