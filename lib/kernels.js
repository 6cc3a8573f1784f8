'use strict';

/**
 * One spec per kernel: how to check a user's input and turn it into what native code takes
 * (numeric params by position, typed-array views in a fixed order) and how to build the value
 * the task resolves with. The order of params and views matches each kernel's `prepare` in
 * `src/kernels/<name>.rs`; native code checks them again.
 * @module native-parallel/lib/kernels
 */

const { validateObject, validateInteger, validateFinite, validateTypedArray } = require('./validate');

/** Limits shared with the native kernels. */
const LIMITS = Object.freeze({
  side: 65536,
  iterations: 0xffffffff,
  matmulDim: 1 << 20,
  chunkSize: 2 ** 32,
  radius: 65535,
  primesLimit: 2 ** 36,
  spinMicros: 3_600_000_000,
});

/**
 * @typedef {'in' | 'out' | 'inout'} ViewMode
 * @typedef {{ name: string, view: any, mode: ViewMode }} ViewArg
 * @typedef {{ params: number[], views: ViewArg[], result: (value: number) => unknown }} Prepared
 * @typedef {{ prepare: (input: any) => Prepared }} KernelSpec
 */

const none = () => undefined;

/** @type {Record<string, KernelSpec>} */
const specs = {
  noop: {
    prepare(input) {
      if (input !== undefined) validateObject(input, 'input');
      return { params: [], views: [], result: none };
    },
  },

  spin: {
    prepare(input) {
      validateObject(input, 'input');
      const micros = validateInteger(input.micros, 'input.micros', 0, LIMITS.spinMicros);
      return { params: [micros], views: [], result: none };
    },
  },

  mandelbrot: {
    prepare(input) {
      validateObject(input, 'input');
      const width = validateInteger(input.width, 'input.width', 0, LIMITS.side);
      const height = validateInteger(input.height, 'input.height', 0, LIMITS.side);
      const maxIterations = validateInteger(input.maxIterations, 'input.maxIterations', 0, LIMITS.iterations);
      const region = ['xMin', 'xMax', 'yMin', 'yMax'].map((key, i) =>
        input[key] === undefined ? [-2, 0.5, -1.25, 1.25][i] : validateFinite(input[key], `input.${key}`),
      );
      const out = validateTypedArray(input.out, 'input.out', 'Uint32Array', width * height);
      return {
        params: [width, height, maxIterations, ...region],
        views: [{ name: 'out', view: out, mode: 'out' }],
        result: () => out,
      };
    },
  },

  matmul: {
    prepare(input) {
      validateObject(input, 'input');
      const n = validateInteger(input.n, 'input.n', 0, LIMITS.matmulDim);
      const k = validateInteger(input.k, 'input.k', 0, LIMITS.matmulDim);
      const m = validateInteger(input.m, 'input.m', 0, LIMITS.matmulDim);
      const a = validateTypedArray(input.a, 'input.a', 'Float64Array', n * k);
      const b = validateTypedArray(input.b, 'input.b', 'Float64Array', k * m);
      const out = validateTypedArray(input.out, 'input.out', 'Float64Array', n * m);
      return {
        params: [n, k, m],
        views: [
          { name: 'a', view: a, mode: 'in' },
          { name: 'b', view: b, mode: 'in' },
          { name: 'out', view: out, mode: 'out' },
        ],
        result: () => out,
      };
    },
  },

  sha256: {
    prepare(input) {
      validateObject(input, 'input');
      const data = validateTypedArray(input.data, 'input.data', 'Uint8Array');
      const chunkSize = validateInteger(input.chunkSize, 'input.chunkSize', 1, LIMITS.chunkSize);
      const out = validateTypedArray(input.out, 'input.out', 'Uint8Array', 32 * Math.ceil(data.length / chunkSize));
      return {
        params: [chunkSize],
        views: [
          { name: 'data', view: data, mode: 'in' },
          { name: 'out', view: out, mode: 'out' },
        ],
        result: () => out,
      };
    },
  },

  blur: {
    prepare(input) {
      validateObject(input, 'input');
      const width = validateInteger(input.width, 'input.width', 0, LIMITS.side);
      const height = validateInteger(input.height, 'input.height', 0, LIMITS.side);
      const radius = validateInteger(input.radius, 'input.radius', 0, LIMITS.radius);
      const pixels = validateTypedArray(input.pixels, 'input.pixels', 'Uint8Array', width * height * 4);
      const out = validateTypedArray(input.out, 'input.out', 'Uint8Array', width * height * 4);
      return {
        params: [width, height, radius],
        views: [
          { name: 'pixels', view: pixels, mode: 'in' },
          { name: 'out', view: out, mode: 'out' },
        ],
        result: () => out,
      };
    },
  },

  histogram: {
    prepare(input) {
      validateObject(input, 'input');
      const data = validateTypedArray(input.data, 'input.data', 'Uint8Array');
      const out =
        input.out === undefined
          ? new Uint32Array(new SharedArrayBuffer(256 * 4))
          : validateTypedArray(input.out, 'input.out', 'Uint32Array', 256);
      return {
        params: [],
        views: [
          { name: 'data', view: data, mode: 'in' },
          { name: 'out', view: out, mode: 'out' },
        ],
        result: () => out,
      };
    },
  },

  sort: {
    prepare(input) {
      validateObject(input, 'input');
      const data = validateTypedArray(input.data, 'input.data', 'Float64Array');
      return { params: [], views: [{ name: 'data', view: data, mode: 'inout' }], result: () => data };
    },
  },

  primes: {
    prepare(input) {
      validateObject(input, 'input');
      const limit = validateInteger(input.limit, 'input.limit', 0, LIMITS.primesLimit);
      return { params: [limit], views: [], result: (count) => ({ count }) };
    },
  },
};

/** Public kernel names, in a stable order. */
const kernelNames = Object.freeze(Object.keys(specs));

/** Internal kernels (tests only): not listed, not accepted by `run`. */
const internalSpecs = {
  __panic: { prepare: () => ({ params: [], views: [], result: none }) },
};

module.exports = { specs, internalSpecs, kernelNames, LIMITS };
