'use strict';

/**
 * Run and wait time histograms in Piscina 5's summary shape (milliseconds; recorded in
 * microseconds in `perf_hooks` histograms, as Piscina does).
 * @module native-parallel/lib/worker-pool/histogram
 */

const { createHistogram } = require('node:perf_hooks');

const PERCENTILES = [
  ['p0_001', 0.001],
  ['p0_01', 0.01],
  ['p0_1', 0.1],
  ['p1', 1],
  ['p2_5', 2.5],
  ['p10', 10],
  ['p25', 25],
  ['p50', 50],
  ['p75', 75],
  ['p90', 90],
  ['p97_5', 97.5],
  ['p99', 99],
  ['p99_9', 99.9],
  ['p99_99', 99.99],
  ['p99_999', 99.999],
];

/** @param {import('node:perf_hooks').RecordableHistogram} h */
function summary(h) {
  const out = { average: h.mean / 1000, mean: h.mean / 1000, stddev: h.stddev / 1000, min: h.min / 1000, max: h.max / 1000 };
  for (const [key, p] of PERCENTILES) out[key] = h.percentile(p) / 1000;
  return out;
}

const toMicros = (ms) => Math.max(1, Math.trunc(ms * 1000));

class TimingHistograms {
  #run = createHistogram();
  #wait = createHistogram();
  /** Sum of run times (ms), for utilization. */
  runTotalMs = 0;

  /** @param {number} runMs @param {number} waitMs */
  record(runMs, waitMs) {
    this.#run.record(toMicros(runMs));
    this.#wait.record(toMicros(waitMs));
    this.runTotalMs += runMs;
  }

  get runTime() {
    return summary(this.#run);
  }

  get waitTime() {
    return summary(this.#wait);
  }

  resetRunTime() {
    this.#run.reset();
  }

  resetWaitTime() {
    this.#wait.reset();
  }
}

/**
 * Piscina 5's `histogram` property over `h` (null with `recordTiming: false`):
 * `{ runTime, waitTime, resetRunTime(), resetWaitTime() }`.
 * @param {TimingHistograms | null} h
 */
function histogramView(h) {
  return {
    get runTime() {
      return h?.runTime;
    },
    get waitTime() {
      return h?.waitTime;
    },
    resetRunTime: () => h?.resetRunTime(),
    resetWaitTime: () => h?.resetWaitTime(),
  };
}

module.exports = { TimingHistograms, histogramView };
