// ESM entry: the same objects as the CommonJS entry.
import cjs from './index.js';

export const { ThreadPool, AbortError } = cjs;
export default cjs;
