'use strict';

/**
 * The report as one self-contained HTML page: inline CSS and inline SVG charts, no script and
 * nothing fetched, so it can be opened from disk or attached to an issue as it is.
 * @module native-parallel/lib/compare/report/html
 */

const { esc, fmt, isNum, engineColors, timeChart, scalingChart, dispatchChart } = require('./svg');

const CSS = `
:root{--fg:#1f2328;--muted:#5b6470;--bg:#fff;--panel:#f6f8fa;--band:#f3f5f8;--border:#d8dee4;--grid:#e3e7ec;--axis:#8c959f;
--accent:#0969da;--fail:#c62828;--fail-bg:#fdecea;--warn:#8a5a00;--warn-bg:#fff6d6;--best:#e8f5e9}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9aa4af;--bg:#0d1117;--panel:#161b22;--band:#131920;--border:#30363d;
--grid:#262c34;--axis:#6e7681;--accent:#58a6ff;--fail:#ff7b72;--fail-bg:#3b1618;--warn:#e3b341;--warn-bg:#2e2410;--best:#12261a}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:980px;margin:0 auto;padding:28px 24px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:40px 0 6px;padding-top:8px;border-top:1px solid var(--border)}
h3{font-size:16px;margin:26px 0 6px}h3 small,h2 small{font-weight:normal;color:var(--muted);font-size:13px;margin-left:6px}
p{margin:6px 0}.muted{color:var(--muted)}.note{color:var(--muted);font-size:13px}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--panel);padding:1px 4px;border-radius:4px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:14px 0;padding:12px 16px;background:var(--panel);border:1px solid var(--border);border-radius:8px}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0}
nav{margin:12px 0;font-size:13px}nav a{color:var(--accent);text-decoration:none;margin-right:14px}nav a:hover{text-decoration:underline}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:10px 0;font-size:13px}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:12px;margin:12px 0}
.card{border:1px solid var(--border);border-radius:8px;padding:10px 14px;background:var(--panel)}
.card .k{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:16px;font-weight:600;margin:2px 0;overflow-wrap:anywhere}.card .big{font-size:22px;font-weight:700}
.card.failed{border-color:var(--fail);background:var(--fail-bg);color:var(--fail)}
.alert{border:1px solid var(--warn);background:var(--warn-bg);color:var(--warn);border-radius:8px;padding:8px 14px;margin:12px 0}.alert ul{margin:4px 0 0;padding-left:20px}
.scroll{overflow-x:auto;margin:8px 0}table.kernel{table-layout:fixed;min-width:760px}table.kernel th{white-space:normal}table.kernel td:first-child .nm{white-space:normal;overflow-wrap:anywhere}
table.kernel th:nth-child(1){width:21%}table.kernel th:nth-child(2){width:8%}table.kernel th:nth-child(3){width:22%}
table.kernel th:nth-child(4){width:13%}table.kernel th:nth-child(5){width:13%}table.kernel th:nth-child(6){width:10%}table.kernel th:nth-child(7){width:13%}.nm{white-space:nowrap}
table{border-collapse:collapse;width:100%;margin:0;font-variant-numeric:tabular-nums;font-size:13.5px}
th,td{padding:5px 10px;border-bottom:1px solid var(--border);text-align:right;vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:12.5px;border-bottom-width:2px;white-space:nowrap}
th:first-child,td:first-child,th.l,td.l{text-align:left}
td .range{color:var(--muted);font-size:12px;margin-left:4px}td .sub{display:block;color:var(--muted);font-size:12px;white-space:nowrap}
tr.best td{background:var(--best)}tr.best td:first-child::after{content:"fastest";font-size:11px;color:var(--muted);margin-left:8px}
tr.failed td,td.failed{color:var(--fail);background:var(--fail-bg)}
td.failed{text-align:left;overflow-wrap:anywhere}td.failed strong,tr.failed strong{font-weight:700}
tr.skipped td{color:var(--warn);background:var(--warn-bg)}
ul.verdict{margin:8px 0;padding:12px 16px 12px 32px;background:var(--panel);border:1px solid var(--border);border-radius:8px}ul.verdict li{margin:4px 0}
.track{display:inline-block;width:120px;height:10px;background:var(--band);border-radius:2px;vertical-align:middle}
.fill{display:block;height:10px;border-radius:2px;background:var(--accent)}
figure{overflow-x:auto;margin:12px 0 6px;padding:10px;border:1px solid var(--border);border-radius:8px}
svg.chart{display:block;width:100%;min-width:640px;height:auto;font-family:inherit;overflow:visible}
svg.chart text{fill:var(--fg);font-size:12px}svg.chart .muted,svg.chart .tick{fill:var(--muted)}
svg.chart .strong{font-weight:600}svg.chart .group{font-weight:700;font-size:13px}svg.chart .axis-title{font-size:12.5px;fill:var(--muted)}
svg.chart .fail,svg.chart text.fail{fill:var(--fail)}
svg.chart .grid{stroke:var(--grid);stroke-width:1}svg.chart .axis{stroke:var(--axis);stroke-width:1}
svg.chart .baseline{stroke:var(--axis);stroke-width:1.5;stroke-dasharray:4 3}
svg.chart .ideal{stroke:var(--muted);stroke-width:1.5;stroke-dasharray:6 4}
svg.chart .whisker{stroke:var(--fg);stroke-width:1.2;opacity:.7}svg.chart .band{fill:var(--band)}
svg.chart .overflow{fill:var(--band);stroke:var(--border);stroke-dasharray:3 3}
svg.chart polyline.line{fill:none;stroke-width:2.5;stroke-linejoin:round}svg.chart circle.point{stroke:var(--bg);stroke-width:1.5}
footer{margin-top:40px;font-size:12.5px;color:var(--muted);border-top:1px solid var(--border);padding-top:10px}
@media print{body{font-size:12px}figure,table,.card{break-inside:avoid}nav{display:none}}`;

const isOk = (r) => r && (r.status === undefined || r.status === 'ok');
const range = (s) => {
  if (!s || !isNum(s.median)) return '-';
  const lo = fmt(s.min);
  const hi = fmt(s.max);
  return `${esc(fmt(s.median))}${lo === hi ? '' : `<span class="range">(${esc(lo)}–${esc(hi)})</span>`}`;
};
const ratio = (x) => (isNum(x) ? `${esc(fmt(x))}×` : '-');
const swatch = (colors, name) => (colors.has(name) ? `<span class="swatch" style="background:${colors.get(name)}"></span>` : '');
const name = (colors, engine) => `<span class="nm">${swatch(colors, engine)}${esc(engine)}</span>`;
const plural = (k, word) => `${esc(k)} ${word}${k === 1 ? '' : 's'}`;

/** A failure row: the engine columns, then FAILED (or SKIPPED) and the message over the rest. */
function failedRow(lead, r, span, left = 1) {
  const kind = r.status === 'skipped' ? 'skipped' : 'failed';
  return `<tr class="${kind}">${lead.map((c, i) => `<td${i < left ? ' class="l"' : ''}>${c}</td>`).join('')}<td class="${kind === 'failed' ? 'failed' : 'l'}" colspan="${span}"><strong>${kind.toUpperCase()}</strong>: ${esc(r.error ?? 'no result')}</td></tr>`;
}

function table(head, rows, left = 1, cls = '') {
  return `<div class="scroll"><table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h, i) => `<th${i < left ? ' class="l"' : ''}>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

/** An inline data bar (HTML, not a chart) for tables without a chart of their own. */
function bar(value, max, color) {
  const pct = isNum(value) && isNum(max) && max > 0 ? Math.max(1, Math.min(100, (value / max) * 100)) : 0;
  return `<span class="track"><span class="fill" style="width:${pct.toFixed(1)}%${color ? `;background:${color}` : ''}"></span></span>`;
}

const fastest = (w) => (w.results ?? []).filter((r) => isOk(r) && isNum(r.timeMs?.median)).sort((a, b) => a.timeMs.median - b.timeMs.median)[0];

function headline(workloads, colors) {
  const cards = workloads.map((w) => {
    const best = fastest(w);
    if (!best) return `<div class="card failed"><div class="k">${esc(w.name)}</div><div class="v">every engine FAILED</div><div>no time to compare</div></div>`;
    const s = best.speedup?.median;
    const vs = best.engine === 'js' ? 'js itself: no engine beat it' : isNum(s) ? `<span class="big">${ratio(s)}</span> vs js` : 'no js baseline';
    return `<div class="card"><div class="k">${esc(w.name)}</div><div class="v">${name(colors, best.engine)}</div><div>${vs}</div><div class="muted">${esc(fmt(best.timeMs.median))} ms median</div></div>`;
  });
  return `<div class="cards">${cards.join('')}</div>`;
}

function kernelSection(w, colors) {
  const best = fastest(w);
  const rows = (w.results ?? []).map((r) => {
    const lead = [name(colors, r.engine), esc(r.workers ?? '-')];
    if (!isOk(r) || !isNum(r.timeMs?.median)) return failedRow(lead, { error: r.error, status: r.status === 'skipped' ? 'skipped' : 'failed' }, 5);
    const one = r.workers > 1 && isNum(r.oneWorkerMs?.median) ? `<span class="sub">1 worker: ${esc(fmt(r.oneWorkerMs.median))} ms</span>` : '';
    const cells = [range(r.timeMs), ratio(r.speedup?.median), `${esc(fmt(r.efficiency))}${one}`, esc(fmt(r.cpuMs?.median, 1)), esc(fmt(r.peakRssMiB, 0))];
    return `<tr${r === best ? ' class="best"' : ''}>${[...lead, ...cells].map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  const head = ['engine', 'workers', 'ms median (min–max)', 'speedup vs js', 'parallel efficiency', 'CPU ms', 'peak RSS MiB'];
  return `<section id="w-${esc(w.name)}"><h3>${esc(w.name)}<small>${esc(w.describe ?? '')}</small></h3>${table(head, rows, 1, 'kernel')}</section>`;
}

const us = (v) => (isNum(v) ? (v >= 10000 ? `${esc(fmt(v / 1000))} ms` : `${esc(fmt(v))} µs`) : '-');

/** The user's task: time, speedup, tasks/s, latency, CPU, memory, and whether results were checked. */
function taskSection(w, colors) {
  const best = fastest(w);
  const rows = (w.results ?? []).map((r) => {
    const lead = [name(colors, r.engine), esc(r.workers ?? '-')];
    if (!isOk(r) || !isNum(r.timeMs?.median)) return failedRow(lead, { error: r.error, status: r.status === 'skipped' ? 'skipped' : 'failed' }, 6);
    const l = r.latencyUs ?? {};
    lead[0] += `<span class="sub">${r.checked ? 'results = main thread' : '<strong>results unchecked</strong>'}</span>`;
    const cells = [range(r.timeMs), ratio(r.speedup?.median), esc(fmt(r.tasksPerSecond?.median)), `${us(l.p50)} / ${us(l.p99)}<span class="sub">mean ${us(l.mean)}</span>`, esc(fmt(r.cpuMs?.median, 1)), esc(fmt(r.peakRssMiB, 0))];
    return `<tr${r === best ? ' class="best"' : ''}>${[...lead, ...cells].map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  const head = ['engine', 'workers', 'ms median (min–max)', 'speedup vs js', 'tasks/s', 'latency p50 / p99', 'CPU ms', 'peak RSS MiB'];
  return `<section id="task-${esc(w.name)}" class="task"><h3>${esc(w.name)}<small>${esc(w.describe ?? '')}</small></h3><p class="note">${esc(w.file ?? '')}</p>${table(head, rows)}</section>`;
}

/** The user's server under each mode and connection kind. */
function appSection(a) {
  const res = a.results ?? [];
  const max = Math.max(0, ...res.map((r) => r.requestsPerSecond?.median).filter(isNum));
  const rows = res.map((r) => {
    const lead = [esc(r.engine + (r.workers > 1 ? ` ×${r.workers}` : '')), esc(r.connection === 'close' ? 'new per request' : r.connection ?? '')];
    if (!isOk(r) || !r.requestsPerSecond) return failedRow(lead, r, 6, 2);
    const cells = [range(r.requestsPerSecond), bar(r.requestsPerSecond.median, max), esc(fmt(r.latencyP50Ms)), esc(fmt(r.latencyP99Ms)), esc(r.errors ?? '-'), esc(fmt(r.rssMiB, 0))];
    return `<tr>${lead.map((c) => `<td class="l">${c}</td>`).join('')}${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  const file = String(a.file ?? '').split('/').pop();
  return `<h2 id="app">Your server<small>${esc(file)} · GET ${esc(a.path ?? '/')} · ${esc(a.connections ?? '?')} connections · ${esc(a.seconds ?? '?')} s per load · ${plural(a.rounds ?? 1, 'round')}</small></h2>
${table(['server', 'connection', 'req/s median (min–max)', '<span class="muted">higher is better</span>', 'p50 ms', 'p99 ms', 'errors', 'RSS MiB'], rows, 2)}
<p class="note">autocannon on 127.0.0.1 in the comparing process (it needs a core of its own); a non-2xx response, a socket error or a timeout is an error, and any error fails the row. RSS is every process of the server, sampled during the load.</p>`;
}

function verdictSection(v) {
  const items = (Array.isArray(v?.text) ? v.text : []).map((t) => `<li>${esc(t)}</li>`);
  return items.length ? `<h2 id="verdict">Verdict<small>for this workload on this machine</small></h2><ul class="verdict">${items.join('')}</ul>` : '';
}

function scalingSection(sc, colors) {
  const results = sc.results ?? [];
  const counts = [...new Set(results.flatMap((r) => (r.points ?? []).map((p) => p.workers)))].sort((a, b) => a - b);
  const rows = results.map((r) => {
    const cells = counts.map((k) => {
      const p = (r.points ?? []).find((x) => x.workers === k);
      if (!p) return '<td>-</td>';
      if (p.error || !isNum(p.speedup?.median)) return `<td class="failed"><strong>FAILED</strong>: ${esc(p.error ?? 'no result')}</td>`;
      return `<td>${ratio(p.speedup.median)}<span class="range">${esc(fmt(p.timeMs?.median))} ms</span></td>`;
    });
    return `<tr><td>${name(colors, r.engine)}</td>${cells.join('')}</tr>`;
  });
  const jsMs = sc.jsMs ? `; js (1 thread) median ${esc(fmt(sc.jsMs.median))} ms` : '';
  return `<h2 id="scaling">Scaling<small>speedup vs number of workers · ${esc(sc.workload ?? '')} (${esc(sc.describe ?? '')})${jsMs}</small></h2>
<figure>${scalingChart(sc, colors)}</figure>
${table(['engine', ...counts.map((k) => plural(k, 'worker'))], rows)}
<p class="note">Each point is the median of the per-run ratios js time ÷ engine time, measured in the same rounds; whiskers show min–max. The dashed line is perfect scaling.</p>`;
}

function dispatchSection(d, colors) {
  const rows = (d.results ?? []).map((r) => {
    const lead = [name(colors, r.engine), esc(r.workers ?? '-')];
    if (!isOk(r) || !r.latencyUs) return failedRow(lead, r, 5);
    const l = r.latencyUs;
    return `<tr>${[...lead, esc(fmt(l.p50)), esc(fmt(l.p90)), esc(fmt(l.p99)), esc(fmt(l.max)), range(r.tasksPerSecond)].map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<h2 id="dispatch">Dispatch latency<small>noop task: ${esc(d.sequential ?? '?')} sequential round trips, ${esc(d.burst ?? '?')} in flight for tasks/s</small></h2>
<figure>${dispatchChart(d, colors)}</figure>
${table(['engine', 'workers', 'p50 µs', 'p90 µs', 'p99 µs', 'max µs', 'tasks/s median (min–max)'], rows)}`;
}

function simpleSections(s, colors) {
  const out = [];
  if (s.startup) {
    const res = s.startup.results ?? [];
    const max = Math.max(0, ...res.map((r) => r.readyMs?.max).filter(isNum));
    const rows = res.map((r) => (isOk(r) && r.readyMs ? `<tr><td>${name(colors, r.engine)}</td><td>${range(r.readyMs)}</td><td>${bar(r.readyMs.median, max, colors.get(r.engine))}</td></tr>` : failedRow([name(colors, r.engine)], r, 2)));
    out.push(`<h2 id="startup">Startup<small>one worker, until it answered a first task</small></h2>${table(['engine', 'ms median (min–max)', '<span class="muted">lower is better</span>'], rows)}`);
  }
  if (s.memory) {
    const res = s.memory.results ?? [];
    const max = Math.max(0, ...res.map((r) => r.perWorkerMiB?.max).filter(isNum));
    const rows = res.map((r) => (isOk(r) && r.perWorkerMiB ? `<tr><td>${name(colors, r.engine)}</td><td>${range(r.perWorkerMiB)}</td><td>${bar(r.perWorkerMiB.median, max, colors.get(r.engine))}</td></tr>` : failedRow([name(colors, r.engine)], r, 2)));
    out.push(`<h2 id="memory">Memory<small>added per worker, ${plural(s.memory.workers ?? '?', 'worker')}, fresh process each</small></h2>${table(['engine', 'MiB per worker median (min–max)', '<span class="muted">lower is better</span>'], rows)}`);
  }
  if (s.ipc) {
    const res = s.ipc.results ?? [];
    const max = Math.max(0, ...res.map((r) => r.messagesPerSecond?.median).filter(isNum));
    const rows = res.map((r) => (isOk(r) && r.messagesPerSecond ? `<tr><td>${esc(r.engine)}</td><td>${range(r.messagesPerSecond)}</td><td>${bar(r.messagesPerSecond.median, max)}</td><td>${esc(fmt(r.latencyUs?.p50))}</td><td>${esc(fmt(r.latencyUs?.p99))}</td></tr>` : failedRow([esc(r.engine)], r, 4)));
    out.push(`<h2 id="ipc">IPC<small>primary ⇄ 1 worker process, ~${esc(s.ipc.messageBytes ?? '?')} byte objects echoed</small></h2>${table(['channel', 'messages/s median (min–max)', '<span class="muted">higher is better</span>', 'p50 µs', 'p99 µs'], rows)}`);
  }
  if (s.http) {
    const h = s.http;
    const res = h.results ?? [];
    const max = Math.max(0, ...res.map((r) => r.requestsPerSecond?.median).filter(isNum));
    const rows = res.map((r) => {
      const lead = [esc(r.engine), esc(r.connection ?? '')];
      if (!isOk(r) || !r.requestsPerSecond) return failedRow(lead, r, 4, 2);
      return `<tr>${lead.map((c) => `<td class="l">${c}</td>`).join('')}${[range(r.requestsPerSecond), bar(r.requestsPerSecond.median, max), esc(fmt(r.latencyP99Ms?.median)), esc(r.errors ?? '-')].map((c) => `<td>${c}</td>`).join('')}</tr>`;
    });
    out.push(`<h2 id="http">HTTP<small>hello world, ${esc(h.connections ?? '?')} connections, ${esc(h.durationSeconds ?? '?')} s per run, load generator on the same machine</small></h2>${table(['server', 'connection', 'req/s median (min–max)', '<span class="muted">higher is better</span>', 'p99 ms', 'errors'], rows, 2)}`);
  }
  return out.join('\n');
}

/** Engines in report order: options first, then any other name a charted section uses. */
function engineNames(report, workloads, s) {
  return [
    ...(report.options?.engines ?? []),
    ...workloads.flatMap((w) => (w.results ?? []).map((r) => r.engine)),
    ...['dispatch', 'scaling', 'startup', 'memory'].flatMap((k) => (s[k]?.results ?? []).map((r) => r.engine)),
  ].filter((e) => typeof e === 'string');
}

/**
 * Renders a `compare` report as one self-contained HTML page (inline CSS and SVG, no script,
 * no external resources). Every section is optional; failed engines show as FAILED with their
 * message, never as a time; all report text is escaped.
 * @param {any} report the object `compare()` returns (schema native-parallel/compare-report@1)
 * @returns {string} the HTML document
 */
function renderHtml(report) {
  const rep = report && typeof report === 'object' ? report : {};
  const workloads = Array.isArray(rep.workloads) ? rep.workloads.filter((w) => w && typeof w === 'object') : [];
  const s = rep.suites && typeof rep.suites === 'object' ? rep.suites : {};
  const m = rep.machine ?? {};
  const o = rep.options ?? {};
  const colors = engineColors(engineNames(rep, workloads, s));
  const list = (xs) => (Array.isArray(xs) && xs.length ? xs.map(esc).join(', ') : '-');

  const toc = [
    workloads.length && ['time', workloads.some((w) => w.kind === 'task') ? 'Workloads' : 'Compute'],
    s.scaling && ['scaling', 'Scaling'],
    s.dispatch && ['dispatch', 'Dispatch'],
    s.startup && ['startup', 'Startup'],
    s.memory && ['memory', 'Memory'],
    s.ipc && ['ipc', 'IPC'],
    s.http && ['http', 'HTTP'],
    s.app && ['app', 'Your server'],
    rep.verdict?.text?.length && ['verdict', 'Verdict'],
  ].filter(Boolean);
  const skipped = (Array.isArray(rep.skipped) ? rep.skipped : []).map((x) => `<li><strong>${esc(x.engine)}</strong>: ${esc(x.reason)}</li>`);
  const cpus = isNum(m.cpus) ? m.cpus : null;

  const parts = [];
  parts.push(`<header><h1>native-parallel compare</h1>
<p class="muted">Node's built-ins (worker_threads, cluster, piscina) against native engines, on the same work, every result checked against the reference${rep.createdAt ? ` · ${esc(rep.createdAt)}` : ''}</p>
<dl class="meta"><dt>machine</dt><dd>${esc(m.cpus ?? '?')} CPUs (${esc(m.model ?? 'unknown')}), ${esc(m.memoryGiB ?? '?')} GiB, ${esc(m.platform ?? '?')}</dd>
<dt>runtime</dt><dd>Node ${esc(m.node ?? '?')}, native-parallel ${esc(m.package ?? '?')}</dd>
<dt>options</dt><dd>${esc(o.workers ?? '?')} workers, size ${esc(o.size ?? '?')}, ${isNum(o.runs) ? plural(o.runs, 'counted run') : '? counted runs'} per engine (after a warm-up)</dd>
<dt>engines</dt><dd>${list(o.engines)}</dd><dt>workloads</dt><dd>${list(o.workloads)}</dd>${o.task ? `<dt>task</dt><dd>${esc(o.task.file)}${o.task.name && o.task.name !== 'default' ? ` (export ${esc(o.task.name)})` : ''}</dd>` : ''}${o.app ? `<dt>app</dt><dd>${esc(o.app.file)}</dd>` : ''}</dl>
${skipped.length ? `<div class="alert">Skipped engines:<ul>${skipped.join('')}</ul></div>` : ''}
${colors.size ? `<div class="legend">${[...colors.keys()].map((e) => `<span>${name(colors, e)}</span>`).join('')}</div>` : ''}
${toc.length ? `<nav>${toc.map(([id, label]) => `<a href="#${id}">${label}</a>`).join('')}</nav>` : ''}</header>`);

  if (workloads.length) {
    parts.push(`<h2 id="headline">Headline<small>fastest engine per workload and its speedup vs js (single thread)</small></h2>${headline(workloads, colors)}`);
    parts.push(`<h2 id="time">${workloads.some((w) => w.kind === 'task') ? 'Workloads' : 'Compute workloads'}<small>median time relative to js; bars left of 1 are faster</small></h2>
<figure>${timeChart(workloads, colors)}</figure>
<p class="note">Bars are 1 ÷ the median of per-run speedups (js time ÷ engine time in the same round), so they agree with the tables; whiskers show the min–max over runs.</p>
${workloads.map((w) => (w.kind === 'task' ? taskSection(w, colors) : kernelSection(w, colors))).join('\n')}`);
  }
  if (s.scaling) parts.push(scalingSection(s.scaling, colors));
  if (s.dispatch) parts.push(dispatchSection(s.dispatch, colors));
  parts.push(simpleSections(s, colors));
  if (s.app) parts.push(appSection(s.app));
  parts.push(verdictSection(rep.verdict));
  if (!workloads.length && !Object.keys(s).length) parts.push('<p class="alert">This report has no workloads and no suites.</p>');

  const note = cpus ? `With ${cpus} core${cpus === 1 ? '' : 's'} the best possible speedup from parallelism is ${cpus}×. ` : '';
  const kernels = workloads.some((w) => w.kind !== 'task') ? 'Memory-bound kernels (histogram, sha256 input streaming) are capped by memory bandwidth. ' : '';
  const tasks = workloads.some((w) => w.kind === 'task') ? "A task's latency runs from run() to its result with 2 tasks in flight per worker (a round trip plus the wait for the task ahead); js runs them one after another. " : '';
  parts.push(`<footer><p>${note}${kernels}${tasks}Parallel efficiency is the engine's own time on one worker ÷ (workers × its time on N workers), both run in the same rounds: 1 is perfect scaling, less is what the extra workers lost to overhead or contention. It compares an engine with itself; speedup vs js compares engines.</p>
<p>Report schema ${esc(rep.schema ?? '?')}. Times are wall-clock milliseconds; CPU ms (every thread, to the nanosecond) and peak RSS cover every process of the engine.</p></footer>`);

  const pageTitle = `native-parallel compare${cpus ? ` · ${cpus} CPUs` : ''}${m.node ? ` · Node ${m.node}` : ''}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${esc(pageTitle)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${parts.filter(Boolean).join('\n')}
</main>
</body>
</html>
`;
}

module.exports = { renderHtml };
