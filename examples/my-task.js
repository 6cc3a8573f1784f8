'use strict';

// A CPU-bound task file as Piscina (and WorkerPool) take it, to try `compare --task` on:
//   npx native-parallel compare --task examples/my-task.js
// The default export is the task; inputs(count) makes one input per task. Typical JavaScript
// object work: deterministic records grouped, summed and ranked.

module.exports = ({ seed, rows }) => {
  let s = seed >>> 0;
  const random = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const groups = new Map();
  for (let i = 0; i < rows; i++) {
    const key = `group-${Math.floor(random() * 50)}`;
    const value = random() * 1000;
    const g = groups.get(key) ?? { n: 0, sum: 0, max: 0 };
    g.n++;
    g.sum += value;
    g.max = Math.max(g.max, value);
    groups.set(key, g);
  }
  const top = [...groups]
    .sort((a, b) => b[1].sum - a[1].sum)
    .slice(0, 5)
    .map(([key, g]) => ({ key, n: g.n, mean: g.sum / g.n, max: g.max }));
  return { seed, top };
};

module.exports.inputs = (count) => Array.from({ length: count }, (_, i) => ({ seed: i + 1, rows: 20000 }));
