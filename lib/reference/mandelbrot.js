'use strict';

/**
 * Reference `mandelbrot` kernel: escape-time iteration counts over a rectangular
 * region of the complex plane, row-major, one `Uint32` per pixel.
 *
 * Pixel (x, y) maps to `cx = xMin + (x * (xMax - xMin)) / width` and
 * `cy = yMin + (y * (yMax - yMin)) / height`; the iteration is written in exactly
 * the operation order the native kernel uses so results are bit-identical.
 *
 * @param {{
 *   width: number, height: number, maxIterations: number,
 *   xMin?: number, xMax?: number, yMin?: number, yMax?: number,
 *   out: Uint32Array
 * }} input `out` has length `width * height`. Region defaults: x in [-2, 0.5], y in [-1.25, 1.25].
 * @param {number} [rowStart] first row to compute (default 0), so a pool can split the image
 * @param {number} [rowEnd] row after the last to compute (default `height`)
 * @returns {Uint32Array} `out`, filled with the iteration count of every pixel (of those rows).
 */
function mandelbrot(input, rowStart = 0, rowEnd = input.height) {
  const { width, height, maxIterations, out } = input;
  const xMin = input.xMin === undefined ? -2 : input.xMin;
  const xMax = input.xMax === undefined ? 0.5 : input.xMax;
  const yMin = input.yMin === undefined ? -1.25 : input.yMin;
  const yMax = input.yMax === undefined ? 1.25 : input.yMax;
  const xSpan = xMax - xMin;
  const ySpan = yMax - yMin;

  for (let y = rowStart; y < rowEnd; y++) {
    const cy = yMin + (y * ySpan) / height;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const cx = xMin + (x * xSpan) / width;
      let zr = 0;
      let zi = 0;
      let i = 0;
      for (; i < maxIterations; i++) {
        const zr2 = zr * zr;
        const zi2 = zi * zi;
        if (zr2 + zi2 > 4) break;
        zi = 2 * zr * zi + cy; // (2*zr)*zi + cy
        zr = zr2 - zi2 + cx;
      }
      out[row + x] = i;
    }
  }
  return out;
}

module.exports = mandelbrot;
