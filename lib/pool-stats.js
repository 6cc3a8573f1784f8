'use strict';

/**
 * Task counters and timing distributions for `ThreadPool#stats()`. Timings keep the most recent
 * samples in a ring (percentiles describe recent behaviour); means and counts cover all time.
 * @module native-parallel/lib/pool-stats
 */

const RING = 4096;

class Distribution {
  #ring = new Float64Array(RING);
  #size = 0;
  #next = 0;
  #sum = 0;
  #count = 0;
  #max = 0;

  /** @param {number} ms */
  add(ms) {
    this.#ring[this.#next] = ms;
    this.#next = (this.#next + 1) % RING;
    if (this.#size < RING) this.#size++;
    this.#sum += ms;
    this.#count++;
    if (ms > this.#max) this.#max = ms;
  }

  /** @returns {{ mean: number, p50: number, p99: number, max: number }} milliseconds */
  summary() {
    if (this.#count === 0) return { mean: 0, p50: 0, p99: 0, max: 0 };
    const sorted = this.#ring.slice(0, this.#size).sort();
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { mean: this.#sum / this.#count, p50: at(0.5), p99: at(0.99), max: this.#max };
  }
}

class PoolStats {
  completed = 0;
  failed = 0;
  cancelled = 0;
  runTime = new Distribution();
  waitTime = new Distribution();

  /**
   * @param {'ok' | 'failed' | 'cancelled'} outcome
   * @param {number} [runMs] absent for tasks cancelled before they started
   * @param {number} [waitMs]
   */
  record(outcome, runMs, waitMs) {
    if (outcome === 'ok') this.completed++;
    else if (outcome === 'failed') this.failed++;
    else this.cancelled++;
    if (runMs !== undefined) this.runTime.add(runMs);
    if (waitMs !== undefined) this.waitTime.add(waitMs);
  }
}

module.exports = { PoolStats, Distribution };
