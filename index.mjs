// ESM entry: the same objects as the CommonJS entry.
import cjs from './index.js';

export const { ThreadPool, ProcessPool, SharedMemory, AbortError, compare, cluster } = cjs;
export const { WorkerPool } = cjs;
export default cjs;
