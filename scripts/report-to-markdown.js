#!/usr/bin/env node
'use strict';

/**
 * Turns a compare report (JSON) into the Markdown tables of the README's results section:
 *   node scripts/report-to-markdown.js compare-report.json
 */

const fs = require('node:fs');

const report = JSON.parse(fs.readFileSync(process.argv[2] || 'compare-report.json', 'utf8'));
const f = (x) => (x >= 1000 ? Math.round(x).toLocaleString('en-US') : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const engines = report.options.engines;
const lines = [];
const m = report.machine;
lines.push(`Measured ${report.createdAt.slice(0, 10)} on ${m.cpus} cores (${m.model}), ${m.memoryGiB} GiB, Node ${m.node}, ${report.options.workers} workers, size ${report.options.size}, ${report.options.runs} runs after a warm-up; median ms and speedup vs \`js\` (median of per-run ratios).`, '');
lines.push(`| workload | ${engines.join(' | ')} |`, `|---|${engines.map(() => '---').join('|')}|`);
for (const w of report.workloads) {
  const cells = engines.map((e) => {
    const r = w.results.find((x) => x.engine === e);
    if (!r) return '-';
    if (r.status === 'skipped') return 'n/a';
    if (r.status !== 'ok') return 'FAILED';
    return `${f(r.timeMs.median)} ms${e === 'js' ? '' : ` (**${f(r.speedup.median)}x**)`}`;
  });
  lines.push(`| ${w.name} | ${cells.join(' | ')} |`);
}
const s = report.suites;
if (s.dispatch) {
  lines.push('', '| tiny tasks (noop) | p50 round trip | p99 | tasks/s (many in flight) |', '|---|---|---|---|');
  for (const r of s.dispatch.results) lines.push(`| ${r.engine} | ${f(r.latencyUs.p50)} us | ${f(r.latencyUs.p99)} us | ${f(r.tasksPerSecond.median)} |`);
}
if (s.startup || s.memory) {
  lines.push('', '| engine | time to a ready worker | memory added per worker |', '|---|---|---|');
  const names = [...new Set([...(s.startup?.results ?? []), ...(s.memory?.results ?? [])].map((r) => r.engine))];
  for (const n of names) {
    const st = s.startup?.results.find((r) => r.engine === n);
    const me = s.memory?.results.find((r) => r.engine === n);
    lines.push(`| ${n} | ${st ? `${f(st.readyMs.median)} ms` : '-'} | ${me?.status === 'ok' ? `${f(me.perWorkerMiB.median)} MiB` : '-'} |`);
  }
}
if (s.ipc) {
  lines.push('', `| ipc, ~${s.ipc.messageBytes} B objects echoed | messages/s | p50 round trip |`, '|---|---|---|');
  for (const r of s.ipc.results) lines.push(r.status === 'ok' ? `| ${r.engine} | ${f(r.messagesPerSecond.median)} | ${f(r.latencyUs.p50)} us |` : `| ${r.engine} | FAILED | |`);
}
if (s.http) {
  lines.push('', `| http hello world (${s.http.connections} connections, load generator on the same 2 cores) | keep-alive req/s | p99 | new connection per request req/s | p99 |`, '|---|---|---|---|---|');
  const names = [...new Set(s.http.results.map((r) => r.engine))];
  for (const n of names) {
    const ka = s.http.results.find((r) => r.engine === n && r.connection === 'keep-alive');
    const cl = s.http.results.find((r) => r.engine === n && r.connection === 'close');
    const cell = (r) => (r?.status === 'ok' ? `${f(r.requestsPerSecond.median)} | ${f(r.latencyP99Ms.median)} ms` : `${r?.status ?? '-'} | `);
    lines.push(`| ${n} | ${cell(ka)} | ${cell(cl)} |`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
