'use strict';

/**
 * The compute workloads at three sizes: deterministic inputs in SharedArrayBuffers, a fresh
 * output per engine, and a check that compares an engine's result with the reference's.
 * @module native-parallel/lib/compare/workloads
 */

const { byName, computeKernels } = require('../kernels');

const sab = (Ctor, n) => new Ctor(new SharedArrayBuffer(n * Ctor.BYTES_PER_ELEMENT));

function fill(view, seed, scale) {
  let s = seed >>> 0;
  for (let i = 0; i < view.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    view[i] = scale === undefined ? s & 0xff : (s / 2 ** 32 - 0.5) * scale;
  }
  return view;
}

/**
 * Each compute kernel's workload (its descriptor's `workload`, `lib/kernels/`): `make()`
 * returns a fresh input (shared memory), `reset(input)` restores any input a kernel changes in
 * place, `check(result, expected)` compares with the reference.
 * @param {'small' | 'medium' | 'large'} size
 * @returns {Record<string, import('../kernels').Workload>}
 */
function workloads(size = 'medium') {
  const scale = { small: 0.25, medium: 1, large: 4 }[size];
  const tools = {
    sab,
    fill,
    side: (n) => Math.max(8, Math.round(n * Math.sqrt(scale))),
    count: (n) => Math.max(64, Math.round(n * scale)),
    equal: (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i])),
    close: (a, b) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= 1e-9 * Math.max(1, Math.abs(b[i]))),
  };
  return Object.fromEntries(computeKernels.map((name) => [name, byName.get(name).workload(tools)]));
}

module.exports = { workloads, sab };
