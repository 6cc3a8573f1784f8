'use strict';

/**
 * The verdict that ends every report: for each workload (a kernel or the user's task) the
 * fastest correct engine and its ratio against each of Node's built-ins, the answer to
 * "cluster or worker_threads?" with its numbers, and what the native engines add over their
 * Node counterparts; for `--app` the same per connection kind. Ratios are medians of per-run
 * ratios (runs alternate engines, so run i of every engine ran side by side).
 * @module native-parallel/lib/compare/verdict
 */

const { summary } = require('./measure');

/** Node's own ways to run the work (and Piscina, the library most would pick), in that order. */
const NODE_PEERS = [
  ['js', 'the main thread'],
  ['worker_threads', 'worker_threads'],
  ['cluster', 'cluster'],
  ['piscina', 'Piscina'],
];
/** Each native engine and the Node engines it replaces. */
const NATIVE_PEERS = [
  ['native-threads', ['worker_threads', 'piscina']],
  ['native-workers', ['worker_threads', 'piscina']],
  ['native-processes', ['cluster']],
  ['native-cluster', ['cluster']],
];

const isOk = (r) => r?.status === 'ok';
const f = (x) => (!Number.isFinite(x) ? '-' : Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const x = (ratio) => `${f(ratio)}x`;

/** Median of per-run ratios a[i] / b[i]; the ratio of medians when the runs do not pair up. */
function pairedRatio(a, b, aMedian, bMedian) {
  if (Array.isArray(a) && Array.isArray(b) && a.length > 0 && a.length === b.length) return summary(a.map((v, i) => v / b[i])).median;
  return aMedian / bMedian;
}
/** How many times faster `fast` ran than `slow` (time rows). */
const timeRatio = (slow, fast) => pairedRatio(slow.runsMs, fast.runsMs, slow.timeMs.median, fast.timeMs.median);
/** How many times the requests/s of `a` over `b` (app rows). */
const rpsRatio = (a, b) => pairedRatio(a.runsRps, b.runsRps, a.requestsPerSecond.median, b.requestsPerSecond.median);

function workloadVerdict(w) {
  const ok = (w.results ?? []).filter((r) => isOk(r) && Number.isFinite(r.timeMs?.median));
  const by = new Map(ok.map((r) => [r.engine, r]));
  const unchecked = w.kind === 'task' && w.checked === false;
  const correct = unchecked ? 'fastest engine (results unchecked)' : 'fastest correct engine';
  if (ok.length === 0) return { workload: w.name, kind: w.kind, fastest: null, versus: [], clusterOrThreads: null, nativeAdds: [], text: `${w.name}: no engine finished with correct results.` };
  const best = ok.reduce((a, b) => (b.timeMs.median < a.timeMs.median ? b : a));
  const versus = NODE_PEERS.filter(([e]) => e !== best.engine && by.has(e)).map(([engine, label]) => ({ engine, label, ratio: timeRatio(by.get(engine), best) }));
  const parts = [`${w.name}: ${correct}: ${best.engine}${best.workers > 1 ? ` (${best.workers} workers)` : ''}, ${f(best.timeMs.median)} ms median`];
  if (versus.length) parts[0] += `: ${versus.map((v) => `${x(v.ratio)} ${v.label}`).join(', ')}`;
  parts[0] += '.';

  let clusterOrThreads = null;
  const wt = by.get('worker_threads');
  const cl = by.get('cluster');
  if (wt && cl) {
    const ratio = timeRatio(cl, wt); // > 1: worker_threads faster
    const answer = ratio >= 1 ? 'worker_threads' : 'cluster';
    const side = (r) => ({ timeMs: r.timeMs.median, cpuMs: r.cpuMs?.median ?? null, peakRssMiB: r.peakRssMiB ?? null });
    clusterOrThreads = { answer, ratio: ratio >= 1 ? ratio : 1 / ratio, worker_threads: side(wt), cluster: side(cl) };
    const mem = Number.isFinite(wt.peakRssMiB) && Number.isFinite(cl.peakRssMiB) ? `; peak RSS ${f(wt.peakRssMiB)} vs ${f(cl.peakRssMiB)} MiB` : '';
    parts.push(`cluster or worker_threads? ${answer}, ${x(clusterOrThreads.ratio)} faster (worker_threads ${f(wt.timeMs.median)} ms, cluster ${f(cl.timeMs.median)} ms${mem}).`);
  } else {
    parts.push(`cluster or worker_threads? not answered: ${[!wt && 'worker_threads', !cl && 'cluster'].filter(Boolean).join(' and ')} did not run or failed.`);
  }
  const nativeAdds = [];
  for (const [engine, peers] of NATIVE_PEERS) {
    const n = by.get(engine);
    for (const peer of peers) if (n && by.has(peer)) nativeAdds.push({ engine, versus: peer, ratio: timeRatio(by.get(peer), n) });
  }
  if (nativeAdds.length) parts.push(`What native adds: ${nativeAdds.map((a) => `${a.engine} ${x(a.ratio)} ${a.versus}`).join(', ')} (above 1: native faster).`);
  return { workload: w.name, kind: w.kind, fastest: { engine: best.engine, workers: best.workers, timeMs: best.timeMs.median, checked: !unchecked }, versus, clusterOrThreads, nativeAdds, text: parts.join(' ') };
}

function appVerdict(app) {
  const name = require('node:path').basename(app.file ?? 'server');
  const out = [];
  for (const connection of ['keep-alive', 'close']) {
    const ok = (app.results ?? []).filter((r) => r.connection === connection && isOk(r));
    const by = new Map(ok.map((r) => [r.engine, r]));
    const kind = connection === 'close' ? 'a new connection per request' : 'keep-alive';
    if (ok.length === 0) {
      out.push({ connection, fastest: null, versus: [], nativeAdds: [], text: `${name}, ${kind}: no mode served without errors.` });
      continue;
    }
    const best = ok.reduce((a, b) => (b.requestsPerSecond.median > a.requestsPerSecond.median ? b : a));
    const versus = ['single', 'cluster'].filter((e) => e !== best.engine && by.has(e)).map((engine) => ({ engine, ratio: rpsRatio(best, by.get(engine)) }));
    const parts = [`${name}, ${kind}: fastest without errors: ${best.engine}${best.workers > 1 ? ` x${best.workers}` : ''}, ${f(best.requestsPerSecond.median)} req/s${versus.length ? `: ${versus.map((v) => `${x(v.ratio)} ${v.engine}`).join(', ')}` : ''}.`];
    const single = by.get('single');
    const cl = by.get('cluster');
    if (single && cl) parts.push(`cluster or one process? cluster x${cl.workers} serves ${x(rpsRatio(cl, single))} the requests/s of one process (p99 ${f(cl.latencyP99Ms)} vs ${f(single.latencyP99Ms)} ms, RSS ${f(cl.rssMiB)} vs ${f(single.rssMiB)} MiB).`);
    const nativeAdds = ['native-cluster-reuseport', 'native-cluster-shared'].filter((e) => by.has(e) && cl).map((engine) => ({ engine, versus: 'cluster', ratio: rpsRatio(by.get(engine), cl) }));
    if (nativeAdds.length) parts.push(`What native adds: ${nativeAdds.map((a) => `${a.engine} ${x(a.ratio)} cluster's req/s`).join(', ')}.`);
    out.push({ connection, fastest: { engine: best.engine, workers: best.workers, requestsPerSecond: best.requestsPerSecond.median }, versus, nativeAdds, text: parts.join(' ') });
  }
  return out;
}

/**
 * @param {any} report
 * @returns {{ workloads: any[], app: any[] | null, text: string[] }}
 */
function verdict(report) {
  const workloads = (report.workloads ?? []).map(workloadVerdict);
  const app = report.suites?.app ? appVerdict(report.suites.app) : null;
  const text = [...workloads.map((v) => v.text), ...(app ?? []).map((v) => v.text)];
  if (app) text.push('A server cannot share its port between worker_threads in Node: for a server the choice is one process or cluster.');
  return { workloads, app, text };
}

module.exports = { verdict };
