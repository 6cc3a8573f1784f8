'use strict';

/** Small seeded PRNG (mulberry32) so random test inputs are reproducible. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const randomBytes = (rand, n) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 256) | 0;
  return out;
};

const randomDoubles = (rand, n, scale = 1) => {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
};

/** Copies a typed array into fresh SharedArrayBuffer memory. */
const shared = (view) => {
  const copy = new view.constructor(new SharedArrayBuffer(view.byteLength));
  copy.set(view);
  return copy;
};

module.exports = { mulberry32, randomBytes, randomDoubles, shared };
