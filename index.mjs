// ESM entry: the same objects as the CommonJS entry.
import cjs from './index.js';

export const { ThreadPool, AbortError, compare } = cjs;
export default cjs;
