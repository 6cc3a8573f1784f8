'use strict';

/**
 * The report as text tables (cli-table3), one per workload or suite.
 * @module native-parallel/lib/compare/report/table
 */

const Table = require('cli-table3');

const f = (x, digits = 2) => {
  if (x === null || x === undefined || Number.isNaN(x)) return '-';
  const a = Math.abs(x);
  return a >= 1000 ? Math.round(x).toLocaleString('en-US') : a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(digits);
};
const range = (s) => `${f(s.median)} (${f(s.min)}-${f(s.max)})`;

function table(head, rows) {
  const t = new Table({ head, style: { head: [], border: [] } });
  rows.forEach((r) => t.push(r));
  return t.toString();
}

function kernelTable(w) {
  const rows = w.results.map((r) =>
    r.status === 'ok'
      ? [r.engine, r.workers, range(r.timeMs), r.speedup ? `${f(r.speedup.median)}x` : '-', f(r.efficiency), f(r.cpuMs.median, 1), f(r.peakRssMiB, 0)]
      : [r.engine, r.workers, `${(r.status ?? 'failed').toUpperCase()}: ${r.error}`, '', '', '', ''],
  );
  return `${w.name} (${w.describe})\n${table(['engine', 'workers', 'ms median (min-max)', 'speedup vs js', 'efficiency', 'CPU ms', 'peak RSS MiB'], rows)}`;
}

const us = (x) => (x >= 10000 ? `${f(x / 1000)} ms` : `${f(x)} us`);

function taskTable(w) {
  const rows = w.results.map((r) =>
    r.status === 'ok'
      ? [r.engine, r.workers, range(r.timeMs), r.speedup ? `${f(r.speedup.median)}x` : '-', f(r.tasksPerSecond.median), `${us(r.latencyUs.p50)} / ${us(r.latencyUs.p99)} / ${us(r.latencyUs.mean)}`, f(r.cpuMs.median, 1), f(r.peakRssMiB, 0), r.checked ? '= main thread' : 'unchecked']
      : [r.engine, r.workers ?? '-', { colSpan: 7, content: `${(r.status ?? 'failed').toUpperCase()}: ${r.error}` }],
  );
  return `task ${w.name} (${w.describe})\n${table(['engine', 'workers', 'ms median (min-max)', 'speedup vs js', 'tasks/s', 'latency p50 / p99 / mean', 'CPU ms', 'peak RSS MiB', 'results'], rows)}`;
}

function appTable(a) {
  const rows = a.results.map((r) => {
    const lead = [r.engine + (r.workers > 1 ? ` x${r.workers}` : ''), r.connection === 'close' ? 'new per request' : r.connection];
    if (r.status === 'ok') return [...lead, range(r.requestsPerSecond), f(r.latencyP50Ms), f(r.latencyP99Ms), r.errors, f(r.rssMiB, 0)];
    return [...lead, { colSpan: 5, content: `${r.status.toUpperCase()}: ${r.error}` }];
  });
  return `app ${require('node:path').basename(a.file)} (GET ${a.path}, ${a.connections} connections, ${a.seconds} s per load, ${a.rounds} round${a.rounds === 1 ? '' : 's'}; load generator on this machine)\n${table(['server', 'connection', 'req/s median (min-max)', 'p50 ms', 'p99 ms', 'errors', 'RSS MiB'], rows)}`;
}

function suiteTables(suites) {
  const out = [];
  if (suites.dispatch) {
    const d = suites.dispatch;
    out.push(
      `dispatch (noop: ${d.sequential} sequential round trips, ${d.burst} in flight)\n${table(
        ['engine', 'workers', 'p50 us', 'p90 us', 'p99 us', 'tasks/s median (min-max)'],
        d.results.map((r) => [r.engine, r.workers, f(r.latencyUs.p50), f(r.latencyUs.p90), f(r.latencyUs.p99), range(r.tasksPerSecond)]),
      )}`,
    );
  }
  if (suites.scaling) {
    const sc = suites.scaling;
    const counts = [...new Set(sc.results.flatMap((r) => r.points.map((p) => p.workers)))];
    out.push(
      `scaling (${sc.workload}, ${sc.describe}; speedup vs js at ${f(sc.jsMs.median)} ms)\n${table(
        ['engine', ...counts.map((n) => `${n} worker${n > 1 ? 's' : ''}`)],
        sc.results.map((r) => [r.engine, ...counts.map((n) => {
          const p = r.points.find((x) => x.workers === n);
          return !p ? '-' : p.error ? 'FAILED' : `${f(p.speedup.median)}x`;
        })]),
      )}`,
    );
  }
  if (suites.startup) {
    out.push(`startup (one worker, until it answered a first task)\n${table(['engine', 'ms median (min-max)'], suites.startup.results.map((r) => [r.engine, range(r.readyMs)]))}`);
  }
  if (suites.memory) {
    out.push(
      `memory (added per worker, ${suites.memory.workers} workers, fresh process each)\n${table(
        ['engine', 'MiB per worker median (min-max)'],
        suites.memory.results.map((r) => [r.engine, r.status === 'ok' ? range(r.perWorkerMiB) : `FAILED: ${r.error}`]),
      )}`,
    );
  }
  if (suites.ipc) {
    out.push(
      `ipc (primary <-> 1 worker process, ~${suites.ipc.messageBytes} byte objects echoed)\n${table(
        ['engine', 'messages/s median (min-max)', 'p50 us', 'p99 us'],
        suites.ipc.results.map((r) => (r.status === 'ok' ? [r.engine, range(r.messagesPerSecond), f(r.latencyUs.p50), f(r.latencyUs.p99)] : [r.engine, `FAILED: ${r.error}`, '', ''])),
      )}`,
    );
  }
  if (suites.http) {
    const h = suites.http;
    out.push(
      `http (hello world, ${h.connections} connections, ${h.durationSeconds} s per run, load generator in the same machine)\n${table(
        ['server', 'connection', 'req/s median (min-max)', 'p99 ms', 'errors'],
        h.results.map((r) => (r.status === 'ok' ? [r.engine, r.connection, range(r.requestsPerSecond), f(r.latencyP99Ms.median), r.errors] : [r.engine, r.connection, `${r.status.toUpperCase()}: ${r.error}`, '', ''])),
      )}`,
    );
  }
  return out;
}

/** @param {any} report */
function renderTables(report) {
  const m = report.machine;
  const parts = [`native-parallel compare: ${m.cpus} CPUs (${m.model}), ${m.memoryGiB} GiB, Node ${m.node}; ${report.options.workers} workers, size ${report.options.size}, ${report.options.runs} runs`];
  for (const s of report.skipped) parts.push(`skipped ${s.engine}: ${s.reason}`);
  for (const w of report.workloads) parts.push(w.kind === 'task' ? taskTable(w) : kernelTable(w));
  if (report.workloads.some((w) => w.kind === 'task')) {
    parts.push('task latency: from run() to the result with 2 tasks in flight per worker (a round trip plus the wait for the task ahead); the main thread runs one after another.');
  }
  if (report.workloads.some((w) => w.kind !== 'task')) {
    parts.push('efficiency: parallel efficiency, the engine\'s time on 1 worker / (workers x its time on N), both run in the same rounds; 1 is perfect scaling, - when unknown.');
  }
  parts.push(...suiteTables(report.suites));
  if (report.suites.app) parts.push(appTable(report.suites.app));
  const kernels = report.workloads.some((w) => w.kind !== 'task');
  parts.push(`With ${m.cpus} cores the best possible speedup is ${m.cpus}x${kernels ? '; memory-bound kernels (histogram, sha256 input streaming) are capped by memory bandwidth' : ''}.`);
  if (report.verdict?.text.length) parts.push(`Verdict (this machine, this run):\n${report.verdict.text.map((t) => `- ${t}`).join('\n')}`);
  return parts.join('\n\n');
}

module.exports = { renderTables };
