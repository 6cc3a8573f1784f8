'use strict';

/**
 * The kernel registry: one descriptor file per kernel (`lib/kernels/<name>.js`), listed once
 * below. A descriptor holds everything the JavaScript side knows of its kernel:
 * - `prepare(input, limits)`: checks a user's input and turns it into what native code takes
 *   (numeric params by position, typed-array views in a fixed order, in the order of the
 *   kernel's `prepare` in `src/kernels/<name>.rs`, which checks them again) and builds the
 *   value the task resolves with. `limits` are the largest parameter values, read from the
 *   Rust descriptor (`Kernel::limits`), never copied here;
 * - `reference`: the plain-JS implementation (`lib/reference/<name>.js`);
 * - `workload(tools)` (compute kernels only): the input `compare` runs at each size;
 * - `split`: how the JavaScript engines of `compare` cut one run over N workers.
 * `docs/adding-a-kernel.md` lists the steps to add one.
 * @module native-parallel/lib/kernels
 */

const { loadNative } = require('../native');

/**
 * @typedef {'in' | 'out' | 'inout'} ViewMode
 * @typedef {{ name: string, view: any, mode: ViewMode }} ViewArg
 * @typedef {{ params: number[], views: ViewArg[], result: (value: number) => unknown }} Prepared
 * @typedef {{ prepare: (input: any) => Prepared }} KernelSpec
 * @typedef {{ describe: string, make: () => any, reset?: (input: any) => void,
 *   check: (result: any, expected: any) => boolean }} Workload
 * @typedef {{ parts: (input: any, n: number) => any[], runPart: (input: any, part: any) => any,
 *   output?: (input: any, part: any) => ArrayBufferView,
 *   combine: (input: any, results: any[], parts: any[]) => any }} Split
 * @typedef {{ name: string, reference: Function,
 *   prepare: (input: any, limits: Record<string, number>) => Prepared,
 *   workload?: (tools: any) => Workload, split: Split }} KernelDescriptor
 */

/** @type {ReadonlyArray<KernelDescriptor>} every public kernel, in the native registry's order */
const kernels = Object.freeze(['noop', 'spin', 'mandelbrot', 'matmul', 'sha256', 'blur', 'histogram', 'sort', 'primes'].map((name) => require(`./${name}`)));

/** @type {Map<string, KernelDescriptor>} */
const byName = new Map(kernels.map((k) => [k.name, k]));

/** Public kernel names, in a stable order. */
const kernelNames = Object.freeze(kernels.map((k) => k.name));

/** Names of the compute kernels (those `compare` runs as workloads). */
const computeKernels = Object.freeze(kernels.filter((k) => k.workload).map((k) => k.name));

/** @type {Record<string, Record<string, number>> | undefined} */
let nativeLimits;

/**
 * The limits of a kernel's numeric parameters, from the addon (loaded on first use: a pool
 * that runs a kernel has loaded it already).
 * @param {string} name
 */
function limitsOf(name) {
  nativeLimits ??= Object.fromEntries(loadNative('ThreadPool').NativePool.kernels().map((k) => [k.name, Object.freeze(k.limits)]));
  return nativeLimits[name] ?? {};
}

/** @type {Record<string, KernelSpec>} what the pools check a task's input with */
const specs = Object.fromEntries(kernels.map((k) => [k.name, { prepare: (input) => k.prepare(input, limitsOf(k.name)) }]));

/** Internal kernels (tests only): not listed, not accepted by `run`. */
const internalSpecs = {
  __panic: { prepare: () => ({ params: [], views: [], result: () => undefined }) },
};

module.exports = { kernels, byName, kernelNames, computeKernels, specs, internalSpecs, limitsOf };
