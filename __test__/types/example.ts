// Compile-only check of index.d.ts and reference.d.ts (run by `npm run test:types`).
import { ThreadPool, AbortError, compare, type ThreadPoolStats, type CompareReport } from 'native-parallel';
import * as reference from 'native-parallel/reference';

async function main(): Promise<void> {
  const pool = new ThreadPool({ threads: 2, maxQueue: 'auto' });
  const w = 8;
  const h = 4;
  const out: Uint32Array = await pool.run('mandelbrot', {
    width: w,
    height: h,
    maxIterations: 50,
    out: new Uint32Array(new SharedArrayBuffer(w * h * 4)),
  });
  const { count }: { count: number } = await pool.run('primes', { limit: 100 });
  await pool.run('noop');
  const ac = new AbortController();
  await pool.run('spin', { micros: 10 }, { signal: ac.signal });
  const stats: ThreadPoolStats = pool.stats();
  const names: readonly string[] = ThreadPool.kernels;
  const counts: Uint32Array = reference.histogram({ data: new Uint8Array(4) });
  const err = new AbortError();
  const code: 'ABORT_ERR' = err.code;
  // @ts-expect-error: unknown kernel names do not type-check
  await pool.run('nope', {});
  // @ts-expect-error: mandelbrot needs an out array
  await pool.run('mandelbrot', { width: 1, height: 1, maxIterations: 1 });
  await pool.destroy();
  const report: CompareReport = await compare({ workloads: ['mandelbrot', 'dispatch'], engines: ['js', 'native-threads'], size: 'small', runs: 3 });
  const first = report.workloads[0]?.results[0]?.timeMs?.median;
  const row = report.workloads[0]?.results[0];
  const efficiency: number | null | undefined = row?.efficiency;
  const oneWorker: number | undefined = row?.oneWorkerMs?.median;
  const perWorker: number | null | undefined = row?.speedupPerWorker;
  // @ts-expect-error: size must be small, medium or large
  await compare({ size: 'huge' });
  const own = await compare({ task: './task.js', name: 'fn', tasks: 100, input: { n: 30 }, check: false, app: './server.js', path: '/api', seconds: 2, connections: 8, portEnv: 'APP_PORT', startTimeout: 5 });
  const task = own.workloads.find((w) => w.kind === 'task');
  const p99: number | undefined = task?.results[0]?.latencyUs?.p99;
  const rps: number | undefined = own.suites.app?.results[0]?.requestsPerSecond?.median;
  const answer: 'cluster' | 'worker_threads' | undefined = own.verdict.workloads[0]?.clusterOrThreads?.answer;
  const sentences: string[] = own.verdict.text;
  // @ts-expect-error: check is a boolean
  await compare({ task: './task.js', check: 'no' });
  void [out, count, stats, names, counts, code, first, efficiency, oneWorker, perWorker, p99, rps, answer, sentences];
}

void main;

// cluster
import { cluster, type ClusterWorker, type ClusterAddress } from 'native-parallel';
import clusterModule = require('native-parallel/cluster');
const sameCluster: typeof cluster = clusterModule;
void sameCluster;
import * as http from 'node:http';

async function clusterExample(): Promise<void> {
  if (cluster.isPrimary) {
    cluster.setupPrimary({ exec: 'server.js', balance: 'reuseport', serialization: 'advanced', restart: { maxRestarts: 3 }, shutdownTimeoutMs: 5000 });
    cluster.setupPrimary({ restart: false, handleSignals: false });
    const w: ClusterWorker = cluster.fork({ PORT: 8000, DEBUG: true });
    const counter = new SharedMemory(4096);
    cluster.setupPrimary({ shared: { counter } });
    cluster.fork(undefined, { shared: { other: counter } });
    // @ts-expect-error: shared takes SharedMemory objects only
    cluster.fork(undefined, { shared: { sab: new SharedArrayBuffer(8) } });
    const id: number = w.id;
    const pid: number = w.process.pid;
    w.send({ hello: new Map([[1, 2]]) }, (err) => void err);
    w.kill('SIGTERM');
    w.disconnect();
    const dead: boolean = w.isDead() && w.isConnected();
    cluster.on('listening', (worker, address: ClusterAddress) => void [worker.id, address.port]);
    cluster.on('exit', (worker, code: number | null, signal: NodeJS.Signals | null) => void [worker, code, signal]);
    cluster.on('restart', (next, old) => void [next.id, old.id]);
    const all: ClusterWorker[] = Object.values(cluster.workers ?? {});
    await cluster.reload();
    await cluster.shutdown();
    // @ts-expect-error: there is no round-robin mode
    cluster.setupPrimary({ balance: 'round-robin' });
    // node:cluster's shapes: settings, Worker, scheduling policy, ChildProcess-like process.
    cluster.settings.serialization = 'json';
    const exec: string | undefined = cluster.settings.exec;
    const balance: 'reuseport' | 'shared' = cluster.nativeSettings.balance;
    const isWorker: boolean = w instanceof cluster.Worker;
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    w.process.on('exit', (code, signal) => void [code, signal]);
    const sent: boolean = w.process.send('x', http.createServer(), { keepOpen: true }, () => {});
    const killed: boolean = w.process.kill('SIGTERM') && w.process.killed;
    w.process.disconnect();
    void [id, pid, dead, all, exec, balance, isWorker, sent, killed];
  } else {
    cluster.worker?.send('ready');
    cluster.worker?.send(new Uint8Array(4), undefined, { raw: true }, (err) => void err);
    const shared = cluster.shared?.counter;
    if (shared) Atomics.add(new Int32Array(shared.buffer), 0, 1);
    cluster.worker?.on('message', (m) => void m);
    const server = cluster.listen(http.createServer(), { port: 8000, host: '127.0.0.1' }, () => {});
    const same: http.Server = server;
    cluster.worker?.kill();
    void same;
  }
}

void clusterExample;

// ProcessPool and SharedMemory
import { ProcessPool, SharedMemory, type ProcessKernelName, type WaitResult, type WorkerProcessExitedError } from 'native-parallel';

async function processPoolExample(): Promise<void> {
  const shm = new SharedMemory(64 << 10);
  const max: number = SharedMemory.MAX_BYTES;
  const out = new Uint32Array(shm.buffer, 0, 16 * 16);
  const pool = new ProcessPool({ processes: 2 });
  const processes: number = pool.processes;
  const pids: number[] = pool.pids;
  const names: readonly ProcessKernelName[] = ProcessPool.kernels;
  const img: Uint32Array = await pool.run('mandelbrot', { width: 16, height: 16, maxIterations: 50, out });
  const { count }: { count: number } = await pool.run('primes', { limit: 1000 });
  await pool.run('noop');
  await pool.run('sort', { data: new Float64Array(shm.buffer, 2048, 8) }, { signal: AbortSignal.timeout(1000) });
  const product: Float64Array = await pool.run('matmul', {
    a: new Float64Array(1),
    b: new Float64Array(1),
    n: 1,
    k: 1,
    m: 1,
    out: new Float64Array(shm.buffer, 4096, 1),
  });
  const counts: Uint32Array = await pool.run('histogram', { data: new Uint8Array(9), out: new Uint32Array(shm.buffer, 8192, 256) });
  // @ts-expect-error: on the process pool histogram's out is required (it must be in SharedMemory)
  await pool.run('histogram', { data: new Uint8Array(9) });
  const r: WaitResult = shm.wait(0, 0, 10);
  const later: WaitResult = await shm.waitAsync(0, 0);
  const woken: number = shm.notify(0, 1);
  const fd: number = shm.fd;
  const again = SharedMemory.fromFd(fd);
  again.close();
  await pool.destroy();
  shm.close();
  const closed: boolean = shm.closed;
  try {
    await pool.run('noop');
  } catch (e) {
    const err = e as WorkerProcessExitedError;
    const how: [number | null, string | null] = [err.exitCode, err.signal];
    void how;
  }
  // @ts-expect-error: the size is a number of bytes
  new SharedMemory('64');
  void [max, processes, pids, names, img, count, product, counts, r, later, woken, closed];
}

void processPoolExample;
