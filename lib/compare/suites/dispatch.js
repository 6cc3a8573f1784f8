'use strict';

/**
 * `dispatch`: the cost of handing a worker a tiny task. Per engine: round-trip latency of a
 * `noop` awaited one at a time (percentiles), and tasks/s with many in flight.
 */

const { now, msSince, summary, percentile } = require('../measure');

const SEQUENTIAL = 1000;
const BURST = 10000;
/** Latency histogram buckets (microseconds, upper bounds) for the report's distribution chart. */
const BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, Infinity];

async function dispatch({ engines, runs, tick }) {
  const contenders = engines.filter((e) => e.name !== 'js');
  const latency = new Map(contenders.map((e) => [e.name, []]));
  const rate = new Map(contenders.map((e) => [e.name, []]));
  for (let round = 0; round < runs + 1; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const { name, instance } = contenders[(round + i) % contenders.length];
      for (let j = 0; j < SEQUENTIAL; j++) {
        const t0 = now();
        await instance.noop();
        if (round > 0) latency.get(name).push(msSince(t0) * 1000);
      }
      const t0 = now();
      const all = new Array(BURST);
      for (let j = 0; j < BURST; j++) all[j] = instance.noop();
      await Promise.all(all);
      if (round > 0) rate.get(name).push(BURST / (msSince(t0) / 1000));
      tick(`dispatch ${name}`);
    }
  }
  return {
    sequential: SEQUENTIAL * runs,
    burst: BURST,
    results: contenders.map(({ name, instance }) => {
      const l = latency.get(name);
      const histogram = BUCKETS.map((upper, b) => ({
        upperUs: upper === Infinity ? null : upper,
        count: l.filter((x) => x <= upper && (b === 0 || x > BUCKETS[b - 1])).length,
      }));
      return {
        engine: name,
        workers: instance.workers,
        latencyUs: { p50: percentile(l, 0.5), p90: percentile(l, 0.9), p99: percentile(l, 0.99), max: Math.max(...l) },
        tasksPerSecond: summary(rate.get(name)),
        histogram,
      };
    }),
  };
}

module.exports = { dispatch, steps: (engines, runs) => (engines.filter((e) => e.name !== 'js').length) * (runs + 1) };
