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

export type CompareEngine = 'js' | 'worker_threads' | 'piscina' | 'cluster' | 'native-threads' | (string & {});

export interface CompareOptions {
  /** Default: every workload and suite. */
  workloads?: CompareWorkload[];
  /** Default: every available engine. */
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
  status: 'ok' | 'failed';
  /** Present when status is 'failed' (a wrong result or an exception): no time is reported. */
  error?: string;
  timeMs?: Spread;
  /** Median of per-run ratios js time / this engine's time (null without the js engine). */
  speedup?: Spread | null;
  /** speedup / workers. */
  efficiency?: number | null;
  /** CPU time of this process and the engine's worker processes. */
  cpuMs?: Spread;
  /** Peak RSS of this process plus the engine's worker processes. */
  peakRssMiB?: number;
}

export interface CompareReport {
  schema: 'native-parallel/compare-report@1';
  createdAt: string;
  machine: { cpus: number; model: string; memoryGiB: number; platform: string; node: string; package: string };
  options: { workloads: CompareWorkload[]; engines: string[]; workers: number; size: string; runs: number };
  skipped: { engine: string; reason: string }[];
  workloads: { name: string; kind: 'kernel'; describe: string; results: KernelResult[] }[];
  /** One entry per suite that ran; see the README for each shape. */
  suites: {
    dispatch?: Record<string, unknown>;
    scaling?: Record<string, unknown>;
    startup?: Record<string, unknown>;
    memory?: Record<string, unknown>;
    ipc?: Record<string, unknown>;
    http?: Record<string, unknown>;
  };
}

/** Runs the same work on Node's built-ins and on the native engines, side by side. */
export declare function compare(options?: CompareOptions): Promise<CompareReport>;
