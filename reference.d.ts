// The plain-JavaScript reference kernels: the same algorithms as the native ones.
import type { KernelMap, KernelName } from './index';

type Reference = { [K in KernelName]: (input: KernelMap[K]['input']) => KernelMap[K]['result'] };

export declare const noop: Reference['noop'];
export declare const spin: Reference['spin'];
export declare const mandelbrot: Reference['mandelbrot'];
export declare const matmul: Reference['matmul'];
export declare const sha256: Reference['sha256'];
export declare const blur: Reference['blur'];
export declare const histogram: Reference['histogram'];
export declare const sort: Reference['sort'];
export declare const primes: Reference['primes'];
export declare const kernels: readonly KernelName[];
