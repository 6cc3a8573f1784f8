'use strict';

/** SHA-256 round constants (FIPS 180-4 §4.2.2), as signed 32-bit words. */
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** Initial hash value H(0) (FIPS 180-4 §5.3.3). */
const H0 = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

// Scratch state, allocated once per module instance (each worker thread has its own).
const H = new Int32Array(8);
const W = new Int32Array(64);
const tail = new Uint8Array(64);

/**
 * Compresses one 64-byte block `bytes[off .. off+64)` into the state `H`.
 * All arithmetic is int32 (`|0`); rotations use `>>>` / `<<`.
 */
function compress(bytes, off) {
  for (let t = 0; t < 16; t++, off += 4) {
    W[t] = (bytes[off] << 24) | (bytes[off + 1] << 16) | (bytes[off + 2] << 8) | bytes[off + 3];
  }
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15];
    const w2 = W[t - 2];
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
  }

  let a = H[0], b = H[1], c = H[2], d = H[3];
  let e = H[4], f = H[5], g = H[6], h = H[7];
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[t] + W[t]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0] + a) | 0;
  H[1] = (H[1] + b) | 0;
  H[2] = (H[2] + c) | 0;
  H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0;
  H[5] = (H[5] + f) | 0;
  H[6] = (H[6] + g) | 0;
  H[7] = (H[7] + h) | 0;
}

/**
 * Hashes `data[start .. end)` and writes the 32-byte digest to `out[outOff ..]`.
 */
function hashRange(data, start, end, out, outOff) {
  H.set(H0);
  const len = end - start;
  const fullEnd = start + (len - (len % 64));
  for (let off = start; off < fullEnd; off += 64) compress(data, off);

  // Padding: remaining bytes, 0x80, zeros, 64-bit big-endian bit length.
  const rem = end - fullEnd;
  tail.fill(0);
  for (let i = 0; i < rem; i++) tail[i] = data[fullEnd + i];
  tail[rem] = 0x80;
  if (rem >= 56) {
    compress(tail, 0);
    tail.fill(0);
  }
  // Bit length = len * 8, exact as a double for len < 2**50; split into two words
  // without 32-bit bitwise ops on the full value.
  const hi = Math.floor(len / 0x20000000);
  const lo = (len * 8) >>> 0;
  tail[56] = hi >>> 24;
  tail[57] = hi >>> 16;
  tail[58] = hi >>> 8;
  tail[59] = hi;
  tail[60] = lo >>> 24;
  tail[61] = lo >>> 16;
  tail[62] = lo >>> 8;
  tail[63] = lo;
  compress(tail, 0);

  for (let i = 0; i < 8; i++, outOff += 4) {
    const v = H[i];
    out[outOff] = v >>> 24;
    out[outOff + 1] = v >>> 16;
    out[outOff + 2] = v >>> 8;
    out[outOff + 3] = v;
  }
}

/**
 * Reference `sha256` kernel: pure-JavaScript SHA-256 (FIPS 180-4) of each
 * `chunkSize`-byte chunk of `data`, hashed independently.
 *
 * There are `Math.ceil(data.length / chunkSize)` chunks (so empty `data` yields
 * no digests); the last chunk may be shorter than `chunkSize`. Digest `i` is
 * written to `out[32 * i .. 32 * i + 32)`. No allocation per call or per block.
 *
 * @param {{ data: Uint8Array, chunkSize: number, out: Uint8Array }} input
 *   `chunkSize` is a positive integer; `out.length` is `32 * chunks`.
 * @returns {Uint8Array} `out`, filled with the concatenated digests.
 */
function sha256(input) {
  const { data, chunkSize, out } = input;
  const len = data.length;
  let outOff = 0;
  for (let start = 0; start < len; start += chunkSize, outOff += 32) {
    const end = start + chunkSize < len ? start + chunkSize : len;
    hashRange(data, start, end, out, outOff);
  }
  return out;
}

module.exports = sha256;
