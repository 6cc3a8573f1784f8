// Compile-only check of the WorkerPool types (run by `npm run test:types`).
import { WorkerPool, type WorkerPoolHistogramSummary, type WorkerPoolWorkerInfo } from 'native-parallel';

async function main(): Promise<void> {
  const pool = new WorkerPool<number, number>({ filename: new URL('file:///task.js'), minThreads: 1, maxThreads: 2, maxQueue: 'auto', idleTimeout: 100, spinMicros: 0 });
  const ac = new AbortController();
  const n: number = await pool.run(3, { signal: ac.signal, name: 'square', transferList: [] });
  pool.on('workerCreate', (w: WorkerPoolWorkerInfo) => w.id);
  pool.on('drain', () => undefined);
  const summary: WorkerPoolHistogramSummary | undefined = pool.histogram.runTime;
  const p99: number | undefined = pool.runTime?.p99;
  const moved: Uint8Array = WorkerPool.move(new Uint8Array(4));
  const inWorker: boolean = WorkerPool.isWorkerThread;
  const size: number = pool.queueSize + pool.completed + pool.utilization + pool.threads.length;
  // @ts-expect-error: a task must be a number here
  await pool.run('three');
  // @ts-expect-error: maxQueue is a number or 'auto'
  new WorkerPool({ maxQueue: 'lots' });
  await pool.close({ force: true });
  await pool.destroy();
  void [n, summary, p99, moved, inWorker, size];
}
void main;
