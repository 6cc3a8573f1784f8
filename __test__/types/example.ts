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
  // @ts-expect-error: size must be small, medium or large
  await compare({ size: 'huge' });
  void [out, count, stats, names, counts, code, first];
}

void main;
