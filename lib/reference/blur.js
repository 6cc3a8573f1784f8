'use strict';

/**
 * Reference `blur` kernel: separable box blur of an RGBA8 image with a
 * (2·radius+1)-wide window, edges clamped to the nearest pixel.
 *
 * Exactly equivalent to the naive definition (d = 2·radius + 1):
 *   tmp[p] = Math.floor((Σ of the d horizontal neighbours of p in pixels + radius) / d)
 *   out[p] = Math.floor((Σ of the d vertical neighbours of p in tmp + radius) / d)
 * applied to every channel (R, G, B and A) independently, but computed with running
 * sums (sliding windows), so the cost is O(1) per pixel whatever the radius.
 * The vertical pass walks rows (not columns) with one running sum per column·channel
 * to keep memory access contiguous.
 *
 * @param {{ pixels: Uint8Array, width: number, height: number, radius: number, out: Uint8Array }} input
 *   `pixels` and `out` have length `width * height * 4`; `radius` is a non-negative integer.
 *   `out` must not alias `pixels`.
 * @returns {Uint8Array} `out`, filled with the blurred image.
 */
function blur(input) {
  const { pixels, width, height, radius, out } = input;
  if (width === 0 || height === 0) return out;
  const r = radius;
  const d = 2 * r + 1;
  const stride = width * 4;
  const tmp = new Uint8Array(pixels.length);

  // ---- Horizontal pass: pixels -> tmp, one row at a time, 4 channel sums. ----
  const lastX = width - 1;
  // Number of window slots beyond the right edge when the window starts at x = 0.
  const rightOver = r > lastX ? r - lastX : 0;
  const rightIn = r < lastX ? r : lastX; // neighbours x = 1..rightIn lie inside the row
  for (let row = 0; row < pixels.length; row += stride) {
    const lastPx = row + lastX * 4;
    // Window for x = 0: (r + 1) copies of pixel 0, pixels 1..rightIn, and rightOver copies of the last pixel.
    let s0 = (r + 1) * pixels[row];
    let s1 = (r + 1) * pixels[row + 1];
    let s2 = (r + 1) * pixels[row + 2];
    let s3 = (r + 1) * pixels[row + 3];
    for (let i = row + 4, e = row + rightIn * 4; i <= e; i += 4) {
      s0 += pixels[i];
      s1 += pixels[i + 1];
      s2 += pixels[i + 2];
      s3 += pixels[i + 3];
    }
    s0 += rightOver * pixels[lastPx];
    s1 += rightOver * pixels[lastPx + 1];
    s2 += rightOver * pixels[lastPx + 2];
    s3 += rightOver * pixels[lastPx + 3];

    for (let x = 0; x < width; x++) {
      const p = row + x * 4;
      tmp[p] = Math.floor((s0 + r) / d);
      tmp[p + 1] = Math.floor((s1 + r) / d);
      tmp[p + 2] = Math.floor((s2 + r) / d);
      tmp[p + 3] = Math.floor((s3 + r) / d);
      // Slide: add x + r + 1 (clamped right), drop x - r (clamped left).
      const addX = x + r + 1;
      const subX = x - r;
      const a = addX < lastX ? row + addX * 4 : lastPx;
      const s = subX > 0 ? row + subX * 4 : row;
      s0 += pixels[a] - pixels[s];
      s1 += pixels[a + 1] - pixels[s + 1];
      s2 += pixels[a + 2] - pixels[s + 2];
      s3 += pixels[a + 3] - pixels[s + 3];
    }
  }

  // ---- Vertical pass: tmp -> out, row-major with one running sum per column·channel. ----
  const lastY = height - 1;
  const bottomOver = r > lastY ? r - lastY : 0;
  const bottomIn = r < lastY ? r : lastY;
  const lastRow = lastY * stride;
  // Float64Array: sums reach d * 255, which can exceed 32 bits for huge radii.
  const sums = new Float64Array(stride);
  for (let c = 0; c < stride; c++) sums[c] = (r + 1) * tmp[c] + bottomOver * tmp[lastRow + c];
  for (let y = 1; y <= bottomIn; y++) {
    const rowOff = y * stride;
    for (let c = 0; c < stride; c++) sums[c] += tmp[rowOff + c];
  }

  for (let y = 0; y < height; y++) {
    const rowOff = y * stride;
    const addY = y + r + 1;
    const subY = y - r;
    const a = addY < lastY ? addY * stride : lastRow;
    const s = subY > 0 ? subY * stride : 0;
    for (let c = 0; c < stride; c++) {
      const sum = sums[c];
      out[rowOff + c] = Math.floor((sum + r) / d);
      sums[c] = sum + tmp[a + c] - tmp[s + c];
    }
  }
  return out;
}

module.exports = blur;
