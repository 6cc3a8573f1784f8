// Type definitions for native-parallel (hand-checked; see __test__/types for the compile test).

/** Kernel names accepted by `ThreadPool#run`. */
export type KernelName = 'noop' | 'spin' | 'mandelbrot' | 'matmul' | 'sha256' | 'blur' | 'histogram' | 'sort' | 'primes';

/** Input and result of each kernel. */
export interface KernelMap {
  noop: { input: Record<string, never> | undefined; result: undefined };
  spin: { input: { micros: number }; result: undefined };
  mandelbrot: {
    input: {
      width: number;
      height: number;
      maxIterations: number;
      xMin?: number;
      xMax?: number;
      yMin?: number;
      yMax?: number;
      /** `width * height` escape counts, row-major. */
      out: Uint32Array;
    };
    result: Uint32Array;
  };
  matmul: {
    input: { a: Float64Array; b: Float64Array; n: number; k: number; m: number; out: Float64Array };
    result: Float64Array;
  };
  sha256: {
    input: { data: Uint8Array | Uint8ClampedArray; chunkSize: number; out: Uint8Array };
    result: Uint8Array;
  };
  blur: {
    input: {
      pixels: Uint8Array | Uint8ClampedArray;
      width: number;
      height: number;
      radius: number;
      out: Uint8Array | Uint8ClampedArray;
    };
    result: Uint8Array | Uint8ClampedArray;
  };
  histogram: { input: { data: Uint8Array | Uint8ClampedArray; out?: Uint32Array }; result: Uint32Array };
  sort: { input: { data: Float64Array }; result: Float64Array };
  primes: { input: { limit: number }; result: { count: number } };
}

export interface ThreadPoolOptions {
  /** Pool threads. Default: `os.availableParallelism()`. */
  threads?: number;
  /** Tasks that may wait beyond one per thread. Default `Infinity`; `'auto'` is threads squared. */
  maxQueue?: number | 'auto';
}

export interface RunOptions {
  /** Aborting rejects a queued task at once and stops a running one within ~1 ms of work. */
  signal?: AbortSignal;
}

/** Milliseconds. Percentiles cover the most recent 4096 tasks; mean and max all tasks. */
export interface TimeSummary {
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

export interface ThreadPoolStats {
  threads: number;
  queued: number;
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Busy thread time / (threads x pool lifetime), 0..1. */
  utilization: number;
  runTime: TimeSummary;
  waitTime: TimeSummary;
}

/** Native (Rust, rayon) thread pool running built-in kernels on shared memory. */
export declare class ThreadPool implements AsyncDisposable {
  constructor(options?: ThreadPoolOptions);
  /** Names of the kernels `run` accepts. */
  static readonly kernels: readonly KernelName[];
  readonly threads: number;
  run<K extends KernelName>(kernel: K, input: KernelMap[K]['input'], options?: RunOptions): Promise<KernelMap[K]['result']>;
  run<K extends KernelName>(
    kernel: K,
    ...rest: undefined extends KernelMap[K]['input'] ? [input?: KernelMap[K]['input'], options?: RunOptions] : never
  ): Promise<KernelMap[K]['result']>;
  stats(): ThreadPoolStats;
  /** Queued tasks reject with ERR_POOL_DESTROYED; running ones are cancelled or finish. */
  destroy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Kernel names accepted by `ProcessPool#run`: the same as ThreadPool's. */
export type ProcessKernelName = KernelName;

/**
 * Input of a `ProcessPool` kernel: as for ThreadPool, except that every output must be given
 * (as a view over a SharedMemory), so histogram's `out` is required.
 */
export type ProcessKernelInput<K extends ProcessKernelName> = K extends 'histogram'
  ? KernelMap[K]['input'] & { out: Uint32Array }
  : KernelMap[K]['input'];

export interface ProcessPoolOptions {
  /** Worker processes. Default: `os.availableParallelism()`. */
  processes?: number;
}

/**
 * Rust-only worker processes forked from this one (about a millisecond each, no JavaScript in
 * them). Outputs must be views over a `SharedMemory`; inputs may be any typed array (inputs
 * outside SharedMemory make the task fork a worker per part that reads a copy-on-write snapshot).
 */
export declare class ProcessPool implements AsyncDisposable {
  constructor(options?: ProcessPoolOptions);
  /** Names of the kernels `run` accepts. */
  static readonly kernels: readonly ProcessKernelName[];
  readonly processes: number;
  /** Pids of the live worker processes (empty once destroyed). */
  readonly pids: number[];
  run<K extends ProcessKernelName>(kernel: K, input: ProcessKernelInput<K>, options?: RunOptions): Promise<KernelMap[K]['result']>;
  run<K extends ProcessKernelName>(
    kernel: K,
    ...rest: undefined extends ProcessKernelInput<K> ? [input?: ProcessKernelInput<K>, options?: RunOptions] : never
  ): Promise<KernelMap[K]['result']>;
  /** Kills and reaps every worker; unsettled tasks reject with ERR_POOL_DESTROYED. */
  destroy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What `SharedMemory#wait` returns, as `Atomics.wait` does. */
export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

/** Memory shared by threads and processes: a memfd mapped `MAP_SHARED`, with futex wait/notify. */
export declare class SharedMemory {
  /** @param bytes 1 to `SharedMemory.MAX_BYTES` */
  constructor(bytes: number);
  /** The largest size accepted (4 GiB on Node 20). */
  static readonly MAX_BYTES: number;
  /** Maps another SharedMemory's memory through its fd (inherited by a child process, or given to a Worker). */
  static fromFd(fd: number): SharedMemory;
  /** The memory (zero-length once closed). */
  readonly buffer: ArrayBuffer;
  /** Size in bytes (0 once closed). */
  readonly byteLength: number;
  readonly closed: boolean;
  /** The memfd, valid until `close()`. */
  readonly fd: number;
  /** `Atomics.wait` on the 32-bit word at `index`, across processes. `timeout` in ms, default Infinity. */
  wait(index: number, value: number, timeout?: number): WaitResult;
  /** `wait` without blocking the event loop. */
  waitAsync(index: number, value: number, timeout?: number): Promise<WaitResult>;
  /** `Atomics.notify` on the word at `index`, across processes; returns how many were woken. */
  notify(index: number, count?: number): number;
  /** Detaches the buffer and releases the memory once nothing can touch it. Throws ERR_INVALID_STATE while a pool task uses it. */
  close(): void;
}

/** How a ProcessPool task fails when its worker process dies. */
export interface WorkerProcessExitedError extends Error {
  code: 'ERR_WORKER_EXITED';
  /** The exit code, or null when a signal ended the process. */
  exitCode: number | null;
  /** The signal's name (e.g. 'SIGSEGV'), or null. */
  signal: string | null;
}

/** Node's AbortError: `name === 'AbortError'`, `code === 'ABORT_ERR'`. */
export declare class AbortError extends Error {
  constructor(message?: string, options?: { cause?: unknown });
  readonly code: 'ABORT_ERR';
  readonly name: 'AbortError';
}

/** Errors thrown or rejected by this package carry a Node-style code. */
export interface NativeParallelError extends Error {
  code:
    | 'ERR_INVALID_ARG_TYPE'
    | 'ERR_INVALID_ARG_VALUE'
    | 'ERR_OUT_OF_RANGE'
    | 'ERR_UNKNOWN_KERNEL'
    | 'ERR_QUEUE_FULL'
    | 'ERR_POOL_DESTROYED'
    | 'ERR_NATIVE_PANIC'
    | 'ERR_INVALID_STATE'
    | 'ERR_UNSUPPORTED_PLATFORM'
    | 'ERR_MISSING_ARGS'
    | 'ERR_UNKNOWN_SIGNAL'
    | 'ERR_IPC_CHANNEL_CLOSED'
    | 'ERR_INVALID_FRAME'
    | 'ERR_WORKER_EXITED'
    | 'ERR_RESTART_LIMIT'
    | 'ABORT_ERR';
}

/** Compute workloads and suites `compare` can run. */
export type CompareWorkload =
  | 'mandelbrot'
  | 'matmul'
  | 'sha256'
  | 'blur'
  | 'histogram'
  | 'sort'
  | 'primes'
  | 'dispatch'
  | 'scaling'
  | 'startup'
  | 'memory'
  | 'ipc'
  | 'http';

export type CompareEngine = 'js' | 'worker_threads' | 'piscina' | 'cluster' | 'native-threads' | 'native-processes' | 'native-cluster' | 'native-workers' | (string & {});

export interface CompareOptions {
  /** Default: every workload and suite. */
  workloads?: CompareWorkload[];
  /**
   * Default: every available engine. With `app`, `'cluster'` and `'native-cluster'` select the
   * server modes; the one-process mode always runs.
   */
  engines?: CompareEngine[];
  /** Workers per engine. Default: `os.availableParallelism()`. */
  workers?: number;
  size?: 'small' | 'medium' | 'large';
  /** Counted runs per engine after one warm-up. Default 5. */
  runs?: number;
  /** Also write the report as JSON here. */
  json?: string;
  /** Also write the self-contained HTML report here. */
  html?: string;
  /** Your own task file (Piscina-style, CommonJS or ESM): run on every engine that runs JavaScript, results checked against the main thread's. Alone, it is the only workload. */
  task?: string;
  /** The task file's export to run. Default: its default export. */
  name?: string;
  /** Tasks per run. Default: about a second of main-thread work, at least 4 per worker. */
  tasks?: number;
  /** The input of every task. Default: the task file's `inputs(count)` export. */
  input?: unknown;
  /** Compare every engine's results with the main thread's (structured-clone deep equality). Default true. */
  check?: boolean;
  /** Your own server file, listening on `process.env.PORT` (or `portEnv`): loaded as one process, under node:cluster and under the native cluster. */
  app?: string;
  /** Request path for `app`. Default '/'. */
  path?: string;
  /** Seconds per load for `app`. Default 5. */
  seconds?: number;
  /** Concurrent connections for `app`. Default 16. */
  connections?: number;
  /** The environment variable the server reads its port from. Default 'PORT'. */
  portEnv?: string;
  /** Seconds a server has to start listening. Default 10. */
  startTimeout?: number;
  onProgress?: (progress: { done: number; total: number; label: string }) => void;
}

/** Median, min and max over the counted runs. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export interface KernelResult {
  engine: string;
  workers: number;
  status: 'ok' | 'failed' | 'skipped';
  /** Present when status is 'failed' (a wrong result or an exception) or 'skipped' (the engine does not run this workload): no time is reported. */
  error?: string;
  timeMs?: Spread;
  /** Median of per-run ratios js time / this engine's time (null without the js engine). */
  speedup?: Spread | null;
  /** speedup.median / workers: this engine per worker against js (null without the js engine). */
  speedupPerWorker?: number | null;
  /** Each counted run's time, in round order. */
  runsMs?: number[];
  /** The same engine on one worker, run in the same rounds (its own times when workers is 1; null when it failed). */
  oneWorkerMs?: Spread | null;
  /** Parallel efficiency: median of per-run ratios oneWorker time / (workers x this time); 1 is perfect scaling (null when unknown). */
  efficiency?: number | null;
  /** CPU time of this process and of every thread of the engine's worker processes. */
  cpuMs?: Spread;
  /** Peak RSS of this process plus the engine's worker processes. */
  peakRssMiB?: number;
  // Rows of a `task` workload (kind 'task') also have:
  /** The first task whose result differed from the main thread's (util.inspect of each side). */
  mismatch?: { task: number; expected: string; actual: string };
  /** False with `check: false`: the results were not compared. */
  checked?: boolean;
  tasksPerSecond?: Spread;
  /** From run() to the result with 2 tasks in flight per worker (a round trip plus the wait for the task ahead), in microseconds. */
  latencyUs?: { mean: number; p50: number; p99: number; max: number };
}

/** A row of a `task` workload: a KernelResult with the task fields set. */
export type TaskResult = KernelResult;

export interface AppResult {
  engine: 'single' | 'cluster' | 'native-cluster-reuseport' | 'native-cluster-shared';
  connection: 'keep-alive' | 'close';
  workers: number;
  status: 'ok' | 'failed' | 'skipped';
  error?: string;
  requestsPerSecond?: Spread;
  runsRps?: number[];
  latencyP50Ms?: number;
  latencyP99Ms?: number;
  latencyMeanMs?: number;
  errors?: number;
  errorsDetail?: { non2xx: number; socket: number; timeouts: number };
  /** Peak RSS of all the server's processes, sampled during the load. */
  rssMiB?: number;
}

export interface CompareVerdict {
  workloads: {
    workload: string;
    kind: 'kernel' | 'task';
    fastest: { engine: string; workers: number; timeMs: number; checked: boolean } | null;
    /** How many times faster the fastest engine ran than each of Node's (median of per-run ratios). */
    versus: { engine: string; label: string; ratio: number }[];
    clusterOrThreads: {
      answer: 'cluster' | 'worker_threads';
      ratio: number;
      worker_threads: { timeMs: number; cpuMs: number | null; peakRssMiB: number | null };
      cluster: { timeMs: number; cpuMs: number | null; peakRssMiB: number | null };
    } | null;
    /** Native engine vs its Node counterpart: above 1, native is faster. */
    nativeAdds: { engine: string; versus: string; ratio: number }[];
    text: string;
  }[];
  app: {
    connection: 'keep-alive' | 'close';
    fastest: { engine: string; workers: number; requestsPerSecond: number } | null;
    versus: { engine: string; ratio: number }[];
    nativeAdds: { engine: string; versus: string; ratio: number }[];
    text: string;
  }[] | null;
  /** The verdict as sentences, as the table and the HTML page end. */
  text: string[];
}

export interface CompareReport {
  schema: 'native-parallel/compare-report@1';
  createdAt: string;
  machine: { cpus: number; model: string; memoryGiB: number; platform: string; node: string; package: string };
  options: {
    workloads: CompareWorkload[];
    engines: string[];
    workers: number;
    size: string;
    runs: number;
    task?: { file: string; name: string; tasks: number | null; check: boolean; input?: unknown };
    app?: { file: string; path: string; seconds: number; connections: number; portEnv: string };
  };
  skipped: { engine: string; reason: string }[];
  /** Kernel workloads, then the user's task (kind 'task', with file, function, tasks and checked). */
  workloads: {
    name: string;
    kind: 'kernel' | 'task';
    describe: string;
    results: KernelResult[];
    file?: string;
    function?: string;
    tasks?: number;
    checked?: boolean;
  }[];
  /** One entry per suite that ran; see the README for each shape. */
  suites: {
    dispatch?: Record<string, unknown>;
    scaling?: Record<string, unknown>;
    startup?: Record<string, unknown>;
    memory?: Record<string, unknown>;
    ipc?: Record<string, unknown>;
    http?: Record<string, unknown>;
    app?: { file: string; path: string; seconds: number; connections: number; workers: number; rounds: number; results: AppResult[] };
  };
  verdict: CompareVerdict;
}

/** Runs the same work on Node's built-ins and on the native engines, side by side. */
export declare function compare(options?: CompareOptions): Promise<CompareReport>;

// ---------------------------------------------------------------------------------------------
// cluster

/** How connections are spread over workers. */
export type ClusterBalance = 'reuseport' | 'shared';

export interface ClusterRestartPolicy {
  /** Restarts allowed per worker within `windowMs` before the cluster gives up. Default 10. */
  maxRestarts?: number;
  /** Default 60000. */
  windowMs?: number;
  /** Delay before the first restart; doubles for each restart within the window (max 30 s). Default 100. */
  backoffMs?: number;
}

/**
 * `setupPrimary`'s settings: node:cluster's (`exec`, `args`, `execArgv`, `cwd`, `silent`,
 * `serialization`, `windowsHide`, `inspectPort`), kept in `cluster.settings`, and the native
 * extras (`env`, `balance`, `restart`, `shutdownTimeoutMs`, `handleSignals`, `shared`), kept in
 * `cluster.nativeSettings`. `stdio`, `uid` and `gid` throw ERR_FEATURE_UNAVAILABLE.
 */
export interface ClusterSettings {
  /** Script workers run. Default: `process.argv[1]`. */
  exec?: string;
  /** Arguments after the script. Default: `process.argv.slice(2)`. */
  args?: string[];
  /** Node options for workers. Default: `process.execArgv`. */
  execArgv?: string[];
  /** Added to `process.env` for every worker (fork's own env goes on top). */
  env?: Record<string, string | number | boolean | undefined>;
  cwd?: string;
  /** Pipe worker stdout/stderr to `worker.process.stdout`/`stderr` (stdin is /dev/null). Default false. */
  silent?: boolean;
  /** Ignored (Windows only in node:cluster). */
  windowsHide?: boolean;
  /** The inspector port of workers whose execArgv uses `--inspect` (node:cluster's). */
  inspectPort?: number | (() => number);
  /** Default 'reuseport' (`'shared'` when `schedulingPolicy` is SCHED_NONE). Cannot change while workers run. */
  balance?: ClusterBalance;
  /** Default 'json', as node:cluster; 'advanced' is v8.serialize (Maps, BigInts, typed arrays, cycles). */
  serialization?: 'advanced' | 'json';
  /** Restart crashed workers with backoff. Default `false` (off, as node:cluster); `{}` for the defaults. */
  restart?: ClusterRestartPolicy | false;
  /** How long shutdown() and reload() wait for a disconnecting worker before SIGKILL. Default 10000. */
  shutdownTimeoutMs?: number;
  /** SIGTERM/SIGINT to the primary run shutdown(), then end the process by that signal. Default true. */
  handleSignals?: boolean;
  /**
   * SharedMemory handed to every worker (fork's `options.shared` goes on top): the worker
   * inherits the fds and finds the memory as `cluster.shared[name]`. Names: 1-64 characters
   * of A-Z a-z 0-9 _ $ . -; at most 32 per worker.
   */
  shared?: Record<string, SharedMemory>;
}

/** `cluster.fork(env, options)`'s options. */
export interface ClusterForkOptions {
  /** SharedMemory for this worker (and the workers that replace it), added to `settings.shared`. */
  shared?: Record<string, SharedMemory>;
}

/** `cluster.settings`: node:cluster's fields only. */
export interface ClusterNodeSettings {
  exec?: string;
  args?: string[];
  execArgv?: string[];
  cwd?: string;
  silent?: boolean;
  serialization?: 'advanced' | 'json';
  windowsHide?: boolean;
  inspectPort?: number | (() => number);
  [key: string]: unknown;
}

/** `cluster.nativeSettings`: the native extras in effect. */
export interface ClusterNativeSettings {
  env: Record<string, string>;
  balance: ClusterBalance;
  restart: Required<ClusterRestartPolicy> | false;
  shutdownTimeoutMs: number;
  handleSignals: boolean;
  shared: Record<string, SharedMemory>;
}

/** The address a worker listens on, as in node:cluster's 'listening' event (the address asked for, the port got). */
export interface ClusterAddress {
  address: string | null;
  port: number;
  addressType: 4 | 6 | -1 | 'udp4' | 'udp6';
  fd?: number;
}

/** What `send()` can pass along with a message. */
export type ClusterSendHandle = import('node:net').Socket | import('node:net').Server;

export interface ClusterListenOptions {
  /** Default 0: one free port, the same for every worker. */
  port?: number;
  /** An IP address or a name to look up. Default: '::' (dual stack) or '0.0.0.0'. */
  host?: string;
  /** Default 511. */
  backlog?: number;
}

/** `worker.process`: ChildProcess-like (pid, exit status, channel, and with `silent` output streams). */
/** Options of a cluster `send()`: node's `keepOpen`, and this package's opt-in `raw`. */
export interface ClusterSendOptions {
  /** Keep a sent `net.Socket` open in the sender (as node's). */
  keepOpen?: boolean;
  /**
   * Send a `Buffer`, typed array or DataView as its bytes, with no serializer; the peer's
   * `'message'` gets a `Buffer`. Other messages with `raw: true` throw ERR_INVALID_ARG_TYPE.
   */
  raw?: boolean;
}

export interface ClusterWorkerProcess extends NodeJS.EventEmitter {
  readonly pid: number;
  exitCode: number | null;
  signalCode: NodeJS.Signals | null;
  readonly killed: boolean;
  readonly stdin: null;
  readonly stdout: import('node:net').Socket | null;
  readonly stderr: import('node:net').Socket | null;
  readonly connected: boolean;
  readonly spawnfile: string;
  readonly spawnargs: string[];
  kill(signal?: NodeJS.Signals | number): boolean;
  send(message: unknown, handle?: ClusterSendHandle, options?: ClusterSendOptions, callback?: (error: Error | null) => void): boolean;
  send(message: unknown, callback?: (error: Error | null) => void): boolean;
  disconnect(): void;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'disconnect', listener: () => void): this;
  on(event: 'message', listener: (message: any, handle?: ClusterSendHandle) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** A worker as the primary sees it (`cluster.workers[id]`). */
export interface ClusterWorker extends NodeJS.EventEmitter {
  readonly id: number;
  readonly pid: number;
  readonly process: ClusterWorkerProcess;
  /** 'none' | 'online' | 'listening' | 'disconnected' | 'dead' */
  state: string;
  /** True when it left through disconnect(), reload() or shutdown(); false for any other exit. */
  exitedAfterDisconnect: boolean | undefined;
  /** Throws (ERR_INVALID_ARG_VALUE) when the message cannot be serialized. */
  send(message: unknown, handle?: ClusterSendHandle, options?: ClusterSendOptions, callback?: (error: Error | null) => void): boolean;
  send(message: unknown, callback?: (error: Error | null) => void): boolean;
  /** Kills the worker (default SIGTERM); a killed worker is not restarted. */
  kill(signal?: NodeJS.Signals | number): void;
  destroy(signal?: NodeJS.Signals | number): void;
  /** Stop accepting, finish in-flight requests, close the channel. */
  disconnect(): this;
  isDead(): boolean;
  isConnected(): boolean;
  on(event: 'online' | 'disconnect', listener: () => void): this;
  on(event: 'listening', listener: (address: ClusterAddress) => void): this;
  on(event: 'message', listener: (message: any, handle?: ClusterSendHandle) => void): this;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'error', listener: (error: NativeParallelError) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** `cluster.worker` inside a worker. */
export interface ClusterWorkerSelf extends NodeJS.EventEmitter {
  readonly id: number;
  readonly pid: number;
  readonly process: NodeJS.Process;
  exitedAfterDisconnect: boolean | undefined;
  state: string;
  send(message: unknown, handle?: ClusterSendHandle, options?: ClusterSendOptions, callback?: (error: Error | null) => void): boolean;
  send(message: unknown, callback?: (error: Error | null) => void): boolean;
  /** Closes its servers (draining them), then the channel. */
  disconnect(): this;
  /** Tells the primary it leaves on purpose, disconnects and exits with code 0 (as node:cluster). */
  kill(): void;
  destroy(): void;
  isConnected(): boolean;
  isDead(): boolean;
  on(event: 'message', listener: (message: any) => void): this;
  on(event: 'disconnect', listener: () => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** Native cluster: mirrors node:cluster where the semantics match. */
export interface Cluster extends NodeJS.EventEmitter {
  readonly isPrimary: boolean;
  readonly isMaster: boolean;
  readonly isWorker: boolean;
  /** node:cluster's settings forks use (primary); assigning a field before fork() works as there. */
  settings: ClusterNodeSettings;
  /** The native extras in effect (primary). */
  readonly nativeSettings: ClusterNativeSettings;
  /** `cluster.Worker`: `worker instanceof cluster.Worker`. */
  readonly Worker: new (options?: { id?: number; state?: string; process?: unknown }) => NodeJS.EventEmitter;
  readonly SCHED_NONE: 1;
  readonly SCHED_RR: 2;
  /** SCHED_RR (default: balance 'reuseport') or SCHED_NONE (balance 'shared'); frozen at the first setupPrimary/fork. */
  schedulingPolicy: number;
  /** Live workers by id (primary). */
  readonly workers: Record<number, ClusterWorker> | undefined;
  /** This worker (in a worker; undefined in the primary). */
  readonly worker: ClusterWorkerSelf | undefined;
  /** In a worker: the SharedMemory the primary handed over, by name (mapped on first access). Undefined in the primary. */
  readonly shared: Readonly<Record<string, SharedMemory>> | undefined;
  /** Merges settings into `cluster.settings`; applies to later forks. */
  setupPrimary(settings?: ClusterSettings): void;
  setupMaster(settings?: ClusterSettings): void;
  /** Starts a worker with `env` added to its environment and `options.shared` mapped in it. */
  fork(env?: Record<string, string | number | boolean | undefined>, options?: ClusterForkOptions): ClusterWorker;
  /** Rolling replacement, one worker at a time, new one listening before the old one leaves. */
  reload(): Promise<void>;
  /** Disconnect all, wait up to shutdownTimeoutMs, SIGKILL the rest. */
  shutdown(): Promise<void>;
  /** `disconnect()` on every worker; `callback` once all are disconnected (never kills). */
  disconnect(callback?: () => void): void;
  /** `server.listen({ port, host, backlog })`, validated (in a worker every TCP listen goes through the cluster's balance). */
  listen<S extends import('node:net').Server>(server: S, options?: ClusterListenOptions, callback?: () => void): S;
  on(event: 'fork' | 'online' | 'disconnect', listener: (worker: ClusterWorker) => void): this;
  on(event: 'listening', listener: (worker: ClusterWorker, address: ClusterAddress) => void): this;
  on(event: 'message', listener: (worker: ClusterWorker, message: any, handle?: ClusterSendHandle) => void): this;
  on(event: 'exit', listener: (worker: ClusterWorker, code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'restart', listener: (worker: ClusterWorker, replaced: ClusterWorker) => void): this;
  on(event: 'error', listener: (error: NativeParallelError, worker?: ClusterWorker | null) => void): this;
  on(event: 'setup', listener: (settings: ClusterNodeSettings) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** The process's cluster: the primary's, or the worker side in a worker the cluster started. */
export declare const cluster: Cluster;

import { EventEmitter as WorkerPoolEventEmitter } from 'node:events';

/** Options of `new WorkerPool()`: Piscina 5's names, defaults and meaning. */
export interface WorkerPoolOptions {
  /** The task file: a path or `file:` URL, CommonJS or ESM (default null: give it per run). */
  filename?: string | URL | null;
  /** Export to call when the module is not itself a function (default `'default'`). */
  name?: string | null;
  /** Workers kept alive (default: half the CPUs, at least 1). */
  minThreads?: number;
  /** Workers at most (default: 1.5 × CPUs). */
  maxThreads?: number;
  /** Milliseconds an idle Worker above minThreads lives (default 0). */
  idleTimeout?: number;
  /** Tasks that may wait beyond the running ones (default Infinity; `'auto'`: maxThreads²). */
  maxQueue?: number | 'auto';
  /** Tasks one Worker runs at once (default 1). */
  concurrentTasksPerWorker?: number;
  /** Accepted for Piscina compatibility; Workers never block while idle. */
  atomics?: 'sync' | 'async' | 'disabled';
  resourceLimits?: import('node:worker_threads').ResourceLimits;
  env?: NodeJS.ProcessEnv | symbol;
  argv?: any[];
  execArgv?: string[];
  /** Cloned into each Worker: `require('node:worker_threads').workerData` and `WorkerPool.workerData`. */
  workerData?: any;
  trackUnmanagedFds?: boolean;
  /** Milliseconds `close()` waits for tasks before it destroys the pool (default 30000). */
  closeTimeout?: number;
  /** Keep run/wait time histograms (default true). */
  recordTiming?: boolean;
  /**
   * Not Piscina's: microseconds an idle Worker watches the queue before it parks, and the
   * owner waits for a tiny task's result instead of being woken (default 50, 0 to 1000; 0
   * turns both off). See docs/worker-pool.md.
   */
  spinMicros?: number;
}

/** Options of `WorkerPool#run()`. */
export interface WorkerPoolRunOptions {
  name?: string | null;
  filename?: string | URL | null;
  signal?: AbortSignal | { once(event: 'abort', listener: () => void): unknown; off(event: 'abort', listener: () => void): unknown } | null;
  /** Moved (transferred) to the Worker, not copied. */
  transferList?: readonly any[];
}

/** Piscina 5's histogram summary (milliseconds). */
export interface WorkerPoolHistogramSummary {
  average: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  p0_001: number;
  p0_01: number;
  p0_1: number;
  p1: number;
  p2_5: number;
  p10: number;
  p25: number;
  p50: number;
  p75: number;
  p90: number;
  p97_5: number;
  p99: number;
  p99_9: number;
  p99_99: number;
  p99_999: number;
}

/** What 'workerCreate' and 'workerDestroy' carry (Piscina's `PiscinaWorker`). */
export interface WorkerPoolWorkerInfo {
  readonly id: number;
  readonly currentUsage: number;
  readonly isRunningAbortableTask: boolean;
  readonly histogram: WorkerPoolHistogramSummary | null;
  readonly terminating: boolean;
  readonly destroyed: boolean;
}

/**
 * The user's own JavaScript on worker_threads with Piscina 5's API; the queue and the hand-off
 * are native. Errors: ERR_POOL_DESTROYED, ERR_QUEUE_FULL, ABORT_ERR (AbortError),
 * ERR_WORKER_EXITED, ERR_WORKER_OUT_OF_MEMORY, ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE.
 */
export declare class WorkerPool<T = any, R = any> extends WorkerPoolEventEmitter implements AsyncDisposable {
  constructor(options?: WorkerPoolOptions);
  run(task: T, options?: WorkerPoolRunOptions): Promise<R>;
  /** Lets tasks finish (`force`: queued ones reject with AbortError), then destroys. */
  close(options?: { force?: boolean }): Promise<void>;
  /** Stops every Worker; unfinished tasks reject with ERR_POOL_DESTROYED. */
  destroy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  readonly options: Readonly<Required<Omit<WorkerPoolOptions, 'filename' | 'name' | 'maxQueue'>>> & { filename: string | null; name: string; maxQueue: number };
  readonly minThreads: number;
  readonly maxThreads: number;
  readonly threads: import('node:worker_threads').Worker[];
  readonly queueSize: number;
  readonly completed: number;
  readonly duration: number;
  readonly utilization: number;
  readonly needsDrain: boolean;
  readonly runTime: WorkerPoolHistogramSummary | undefined;
  readonly waitTime: WorkerPoolHistogramSummary | undefined;
  readonly histogram: {
    readonly runTime: WorkerPoolHistogramSummary | undefined;
    readonly waitTime: WorkerPoolHistogramSummary | undefined;
    resetRunTime(): void;
    resetWaitTime(): void;
  };
  static readonly isWorkerThread: boolean;
  static readonly workerData: any;
  static readonly WorkerPool: typeof WorkerPool;
  /** Marks a value to be transferred (moved), as a task or as a task's result. */
  static move<V>(value: V): V;
  static readonly transferableSymbol: symbol;
  static readonly valueSymbol: symbol;
  static readonly queueOptionsSymbol: symbol;
  on(event: 'error', listener: (error: NativeParallelError) => void): this;
  on(event: 'drain' | 'needsDrain' | 'close', listener: () => void): this;
  on(event: 'message', listener: (message: any) => void): this;
  on(event: 'workerCreate' | 'workerDestroy', listener: (worker: WorkerPoolWorkerInfo) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}
