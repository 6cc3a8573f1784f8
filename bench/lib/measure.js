'use strict';

/**
 * Measuring the way ../../shared BENCHMARKS rules ask: engines alternated run by run in one
 * process, a warm-up first, medians with min/max, and ratios taken per pair of runs.
 */

const now = () => process.hrtime.bigint();
const ms = (from, to) => Number(to - from) / 1e6;

/** @param {number[]} xs */
function summary(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: xs.length };
}

/**
 * Runs each engine `warmup + runs` times, alternating (A B C, B C A, ...). Each engine fn does
 * one whole run and returns nothing. Returns per-engine run times (ms).
 * @param {Record<string, () => Promise<void> | void>} engines
 * @param {{ runs?: number, warmup?: number }} [options]
 * @returns {Promise<Record<string, number[]>>}
 */
async function alternate(engines, { runs = 7, warmup = 1 } = {}) {
  const names = Object.keys(engines);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < warmup + runs; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      const t0 = now();
      await engines[name]();
      const t = ms(t0, now());
      if (round >= warmup) times[name].push(t);
    }
  }
  return times;
}

/** Median of the per-run ratios base[i] / other[i] ("other is N x faster than base"). */
function speedup(base, other) {
  return summary(base.map((b, i) => b / other[i]));
}

const fmt = (x, digits = 2) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(digits));
const fmtRange = (s, unit = '') => `${fmt(s.median)}${unit} (${fmt(s.min)}-${fmt(s.max)})`;

module.exports = { now, ms, summary, alternate, speedup, fmt, fmtRange };
