'use strict';

/**
 * SVG charts for the HTML report, built as strings in Node so the page draws with no script.
 * Each chart's root is `<svg class="chart" data-chart="NAME">` and every drawn bar, line and
 * point has `class="mark"`. All text passes through {@link esc}.
 * @module native-parallel/lib/compare/report/svg
 */

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes any value for HTML/SVG text and attribute values (null and undefined become '').
 * @param {unknown} s
 * @returns {string}
 */
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]);

/** @param {unknown} x @returns {x is number} */
const isNum = (x) => typeof x === 'number' && Number.isFinite(x);

/**
 * A number for people (as in the text tables): '-' when missing, grouped thousands, fewer
 * decimals as it grows.
 * @param {unknown} x
 * @param {number} [digits] decimals under 10
 * @returns {string}
 */
function fmt(x, digits = 2) {
  if (!isNum(x)) return '-';
  const a = Math.abs(x);
  return a >= 1000 ? Math.round(x).toLocaleString('en-US') : a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(digits);
}

/** Okabe-Ito based colours, readable by most colour-blind people; red is kept for failures. */
const KNOWN_COLORS = { js: '#7a8290', worker_threads: '#0072b2', piscina: '#009e73', cluster: '#e69f00', 'native-threads': '#8e44ad' };
const EXTRA_COLORS = ['#cc79a7', '#56b4e9', '#8c564b', '#17becf', '#b8a800', '#1f3a93', '#ff7f50', '#2f4f4f'];

/**
 * One colour per engine name: fixed for the known engines (so every report agrees), the
 * others in order of first appearance.
 * @param {Iterable<string>} names
 * @returns {Map<string, string>}
 */
function engineColors(names) {
  const map = new Map();
  let extra = 0;
  for (const name of names) {
    if (map.has(name)) continue;
    map.set(name, Object.hasOwn(KNOWN_COLORS, name) ? KNOWN_COLORS[name] : EXTRA_COLORS[extra++ % EXTRA_COLORS.length]);
  }
  return map;
}

// Text is measured by estimate (no font metrics in Node): 0.6 em per character is wide enough
// for the system sans-serif fonts.
const textWidth = (s, size = 12) => String(s).length * size * 0.6;
const truncate = (s, px, size = 12) => {
  const str = String(s ?? '');
  const max = Math.max(1, Math.floor(px / (size * 0.6)));
  return str.length <= max ? str : `${str.slice(0, max - 1)}…`;
};
const n = (x) => Math.round(x * 10) / 10;
const title = (s) => `<title>${esc(s)}</title>`;
const text = (x, y, s, attrs = '') => `<text x="${n(x)}" y="${n(y)}"${attrs ? ` ${attrs}` : ''}>${s}</text>`;
const line = (x1, y1, x2, y2, cls, extra = '') => `<line class="${cls}" x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}"${extra ? ` ${extra}` : ''}/>`;

function root(name, width, height, label, body) {
  return `<svg class="chart" data-chart="${esc(name)}" width="${width}" height="${n(height)}" viewBox="0 0 ${width} ${n(height)}" role="img" aria-label="${esc(label)}">${title(label)}${body}</svg>`;
}

/** Legend row(s): items `{ label, color, dashed? }`, wrapped to `maxWidth`. */
function legend(items, x, y, maxWidth) {
  const out = [];
  let cx = x;
  let cy = y;
  for (const it of items) {
    const label = truncate(it.label, 220);
    const w = 22 + textWidth(label) + 20;
    if (cx + w > x + maxWidth && cx > x) {
      cx = x;
      cy += 20;
    }
    const swatch = it.dashed
      ? line(cx, cy + 7, cx + 16, cy + 7, 'ideal')
      : `<rect x="${n(cx)}" y="${n(cy + 1)}" width="12" height="12" rx="2" fill="${it.color}"/>`;
    out.push(`<g class="legend-item">${swatch}${text(cx + (it.dashed ? 22 : 18), cy + 11, esc(label))}</g>`);
    cx += w;
  }
  return { svg: `<g class="legend">${out.join('')}</g>`, height: items.length ? cy - y + 20 : 0 };
}

const log10 = Math.log10;
/** 1-2-5 ticks from lo to hi (both > 0); 1-2-3-5 when that gives too few. */
function logTicks(lo, hi, mantissas = [1, 2, 5]) {
  const out = [];
  for (let e = Math.floor(log10(lo)); e <= Math.ceil(log10(hi)); e++) {
    for (const m of mantissas) {
      const v = Number((m * 10 ** e).toPrecision(3));
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out.length < 5 && mantissas.length === 3 ? logTicks(lo, hi, [1, 2, 3, 5]) : out;
}
/** Linear ticks from 0 to a nice top >= max. */
function niceTicks(max, count = 5) {
  const m0 = isNum(max) && max > 0 ? max : 1;
  const raw = m0 / count;
  const p = 10 ** Math.floor(log10(raw));
  const r = raw / p;
  const step = (r <= 1 ? 1 : r <= 2 ? 2 : r <= 2.5 ? 2.5 : r <= 5 ? 5 : 10) * p;
  const top = Math.ceil(m0 / step - 1e-9) * step;
  const ticks = [];
  for (let i = 0; i * step <= top + step / 2; i++) ticks.push(Number((i * step).toPrecision(6)));
  return { top, ticks };
}
const logScale = (lo, hi, a, b) => (v) => a + ((log10(v) - log10(lo)) / (log10(hi) - log10(lo))) * (b - a);
const ratio = (x) => `${fmt(x)}×`;
/** A tick value without trailing zeros: 0.5, 1, 20. */
const tk = (v) => String(Number(v.toPrecision(4)));

const WIDTH = 880;

/**
 * Grouped horizontal bars: per compute workload, each engine's median time relative to js
 * (1 / median speedup, so the bars agree with the tables), log scale, min-max whiskers.
 * @param {any[]} workloads report.workloads
 * @param {Map<string, string>} colors
 * @returns {string} an `<svg>`
 */
function timeChart(workloads, colors) {
  const engines = [...new Set(workloads.flatMap((w) => (w.results ?? []).map((r) => r.engine)))];
  const labelW = Math.min(170, Math.max(90, ...engines.map((e) => textWidth(e) + 18)));
  const valueW = 168;
  const L = labelW;
  const R = WIDTH - valueW;
  const groups = workloads.map((w) => {
    const results = w.results ?? [];
    const js = results.find((r) => r.engine === 'js' && r.status === 'ok' && isNum(r.timeMs?.median));
    const rows = results.map((r) => {
      const ok = r.status === 'ok' && isNum(r.timeMs?.median);
      const s = ok && isNum(r.speedup?.median) && r.speedup.median > 0 ? r.speedup : null;
      return { r, ok, rel: s ? 1 / s.median : null, lo: s && isNum(s.max) ? 1 / s.max : null, hi: s && isNum(s.min) ? 1 / s.min : null };
    });
    return { w, js, rows };
  });
  const rels = groups.flatMap((g) => g.rows.flatMap((x) => [x.rel, x.lo, x.hi])).filter((v) => isNum(v) && v > 0);
  const lo = Math.min(0.5, Math.min(1, ...rels) / 1.15);
  const hi = Math.max(2, Math.max(1, ...rels) * 1.15);
  const x = logScale(lo, hi, L, R);
  const ticks = logTicks(lo, hi);

  const leg = legend(engines.map((e) => ({ label: e, color: colors.get(e) })), 8, 8, WIDTH - 16);
  const axisTop = leg.height + 40;
  let y = axisTop + 6;
  const body = [];
  groups.forEach((g, gi) => {
    const h = 24 + Math.max(1, g.rows.length) * 20;
    if (gi % 2 === 0) body.push(`<rect class="band" x="0" y="${n(y - 2)}" width="${WIDTH}" height="${n(h + 4)}"/>`);
    const scale = g.js ? `js median ${fmt(g.js.timeMs.median)} ms = 1` : 'no js time: nothing to compare against';
    body.push(text(8, y + 15, `<tspan class="group">${esc(g.w.name)}</tspan><tspan class="muted" dx="8">${esc(g.w.describe ?? '')} · ${esc(scale)}</tspan>`));
    y += 24;
    for (const row of g.rows) {
      const { r } = row;
      const color = colors.get(r.engine);
      const mid = y + 8;
      body.push(text(L - 10, mid + 4, esc(truncate(r.engine, L - 18)), 'text-anchor="end"'));
      if (!row.ok) {
        const msg = `${r.status === 'skipped' ? 'SKIPPED' : 'FAILED'}: ${r.error ?? r.status ?? 'no result'}`;
        body.push(`<g class="fail">${title(`${r.engine}: ${msg}`)}${text(L + 6, mid + 4, esc(truncate(msg, R - L - 12)), 'class="fail"')}</g>`);
        body.push(text(R + 12, mid + 4, r.status === 'skipped' ? 'SKIPPED' : 'FAILED', 'class="fail strong"'));
      } else if (row.rel === null) {
        body.push(text(L + 6, mid + 4, `${esc(fmt(r.timeMs.median))} ms (no js baseline)`, 'class="muted"'));
        body.push(text(R + 12, mid + 4, `${esc(fmt(r.timeMs.median))} ms`, 'class="muted"'));
      } else {
        const x0 = x(1);
        const x1 = x(row.rel);
        const tip = `${r.engine} · ${g.w.name}: ${fmt(r.timeMs.median)} ms median (${fmt(r.timeMs.min)}–${fmt(r.timeMs.max)}), ${ratio(r.speedup.median)} speedup vs js`;
        const left = Math.min(x0, x1);
        const width = Math.max(Math.abs(x1 - x0), 3);
        body.push(`<rect class="mark" x="${n(r.engine === 'js' ? x0 - 1.5 : left)}" y="${n(y + 2)}" width="${n(width)}" height="12" fill="${color}" rx="1.5">${title(tip)}</rect>`);
        if (isNum(row.lo) && isNum(row.hi) && row.hi / row.lo > 1.001) {
          body.push(`<g class="whisker">${line(x(row.lo), mid, x(row.hi), mid, 'whisker')}${line(x(row.lo), mid - 4, x(row.lo), mid + 4, 'whisker')}${line(x(row.hi), mid - 4, x(row.hi), mid + 4, 'whisker')}</g>`);
        }
        const s = r.speedup.median;
        const verdict = r.engine === 'js' ? 'baseline' : s >= 1 ? `${ratio(s)} faster` : `${ratio(1 / s)} slower`;
        body.push(text(R + 12, mid + 4, `<tspan class="strong">${esc(verdict)}</tspan><tspan class="muted" dx="6">${esc(fmt(r.timeMs.median))} ms</tspan>`));
      }
      y += 20;
    }
    if (g.rows.length === 0) y += 20;
    y += 8;
  });
  const plotBottom = y;
  const grid = ticks.map((t) => line(x(t), axisTop, x(t), plotBottom, t === 1 ? 'baseline' : 'grid')).join('');
  const tickLabels = (ty) => ticks.map((t) => text(x(t), ty, `${tk(t)}×`, 'text-anchor="middle" class="tick"')).join('');
  const head = [
    text(x(1) - 8, axisTop - 22, '◀ faster than js', 'text-anchor="end" class="muted"'),
    text(x(1) + 8, axisTop - 22, 'slower than js ▶', 'class="muted"'),
    tickLabels(axisTop - 6),
    text(R + 12, axisTop - 22, 'vs js · median time', 'class="muted"'),
  ].join('');
  const H = plotBottom + 50;
  const foot = `${tickLabels(plotBottom + 16)}${text((L + R) / 2, plotBottom + 38, 'median time relative to js (log scale; js = 1, left of 1 is faster)', 'text-anchor="middle" class="axis-title"')}`;
  return root('time', WIDTH, H, 'Median time per engine relative to js, per workload', `${leg.svg}${grid}${head}${body.join('')}${foot}`);
}

/**
 * Speedup vs workers (suites.scaling): one line per engine, the ideal line y = workers.
 * @param {any} scaling report.suites.scaling
 * @param {Map<string, string>} colors
 * @returns {string} an `<svg>`
 */
function scalingChart(scaling, colors) {
  const results = scaling.results ?? [];
  const pts = results.flatMap((r) => (r.points ?? []).filter((p) => !p.error && isNum(p.speedup?.median)));
  const maxN = Math.max(1, ...results.flatMap((r) => (r.points ?? []).map((p) => p.workers)).filter(isNum));
  const { top, ticks: yTicks } = niceTicks(Math.max(maxN, ...pts.map((p) => (isNum(p.speedup.max) ? p.speedup.max : p.speedup.median))) * 1.05);
  const leg = legend([...results.map((r) => ({ label: r.engine, color: colors.get(r.engine) })), { label: 'ideal (speedup = workers)', dashed: true }], 8, 8, WIDTH - 16);
  const L = 64;
  const R = WIDTH - 64;
  const T = leg.height + 20;
  const B = T + 300;
  const pad = maxN > 1 ? 28 : 0;
  const x = (w) => (maxN > 1 ? L + pad + ((w - 1) / (maxN - 1)) * (R - L - 2 * pad) : (L + R) / 2);
  const y = (v) => B - (v / top) * (B - T);
  const step = Math.ceil(maxN / 16);
  const xTicks = [];
  for (let w = 1; w <= maxN; w += step) xTicks.push(w);
  const out = [leg.svg];
  for (const t of yTicks) out.push(line(L, y(t), R, y(t), 'grid'), text(L - 8, y(t) + 4, tk(t), 'text-anchor="end" class="tick"'));
  for (const w of xTicks) out.push(line(x(w), B, x(w), B + 5, 'axis'), text(x(w), B + 20, String(w), 'text-anchor="middle" class="tick"'));
  out.push(line(L, B, R, B, 'axis'), line(L, T, L, B, 'axis'));
  out.push(line(L, y(1), R, y(1), 'baseline'), text(R + 6, y(1) + 4, 'js = 1', 'class="muted"'));
  if (maxN > 1) out.push(`<g>${title('ideal: speedup = workers')}${line(x(1), y(1), x(maxN), y(maxN), 'ideal')}</g>`, text(R + 6, y(maxN) + 4, 'ideal', 'class="muted"'));
  for (const r of results) {
    const color = colors.get(r.engine);
    const all = (r.points ?? []).filter((p) => isNum(p.workers)).sort((a, b) => a.workers - b.workers);
    const good = (p) => !p.error && isNum(p.speedup?.median);
    const ok = all.filter(good);
    // One polyline per run of consecutive good points: a failed point breaks the line.
    const runs = [[]];
    for (const p of all) (good(p) ? runs[runs.length - 1].push(p) : runs.push([]));
    for (const seg of runs.filter((s) => s.length > 1)) {
      const d = seg.map((p) => `${n(x(p.workers))},${n(y(p.speedup.median))}`).join(' ');
      out.push(`<polyline class="mark line" points="${d}" stroke="${color}">${title(r.engine)}</polyline>`);
    }
    for (const p of all.filter((q) => !good(q))) {
      out.push(`<g class="fail">${title(`${r.engine}, ${p.workers} workers: FAILED: ${p.error ?? 'no result'}`)}${text(x(p.workers), B - 6, '✕', 'text-anchor="middle" class="fail strong"')}</g>`);
    }
    for (const p of ok) {
      const s = p.speedup;
      if (isNum(s.min) && isNum(s.max) && s.max > s.min) out.push(line(x(p.workers), y(s.min), x(p.workers), y(s.max), 'whisker', `stroke="${color}"`));
      const tip = `${r.engine}, ${p.workers} worker${p.workers > 1 ? 's' : ''}: ${ratio(s.median)} (${fmt(s.min)}–${fmt(s.max)}), ${fmt(p.timeMs?.median)} ms`;
      out.push(`<circle class="mark point" cx="${n(x(p.workers))}" cy="${n(y(s.median))}" r="4.5" fill="${color}">${title(tip)}</circle>`);
    }
  }
  out.push(text((L + R) / 2, B + 42, 'workers', 'text-anchor="middle" class="axis-title"'));
  out.push(text(0, 0, 'speedup vs js (×, higher is better)', `text-anchor="middle" class="axis-title" transform="translate(16 ${n((T + B) / 2)}) rotate(-90)"`));
  return root('scaling', WIDTH, B + 54, `Speedup vs workers (${scaling.workload ?? ''})`, out.join(''));
}

const usLabel = (v) => (v >= 1000 ? `${tk(v / 1000)} ms` : `${tk(v)} µs`);

/**
 * Round-trip latency distribution (suites.dispatch histograms): grouped bars per latency
 * bucket, share of round trips per engine, log-scale latency axis.
 * @param {any} dispatch report.suites.dispatch
 * @param {Map<string, string>} colors
 * @returns {string} an `<svg>`
 */
function dispatchChart(dispatch, colors) {
  const results = (dispatch.results ?? []).filter((r) => Array.isArray(r.histogram) && r.histogram.length);
  const buckets = results[0]?.histogram ?? [];
  const bounds = [];
  buckets.forEach((b, i) => {
    const lower = i === 0 ? (isNum(b.upperUs) ? b.upperUs / 2 : 1) : bounds[i - 1].upper;
    bounds.push({ lower, upper: isNum(b.upperUs) ? b.upperUs : lower * 2, overflow: !isNum(b.upperUs) });
  });
  const totals = results.map((r) => r.histogram.reduce((s, b) => s + (isNum(b.count) ? b.count : 0), 0));
  const share = (ri, bi) => (totals[ri] > 0 && isNum(results[ri].histogram[bi]?.count) ? (results[ri].histogram[bi].count / totals[ri]) * 100 : 0);
  const used = bounds.map((_, bi) => results.some((_, ri) => share(ri, bi) > 0));
  let first = used.indexOf(true);
  let last = used.lastIndexOf(true);
  if (first < 0) [first, last] = [0, bounds.length - 1];
  const leg = legend(results.map((r) => ({ label: r.engine, color: colors.get(r.engine) })), 8, 8, WIDTH - 16);
  const L = 64;
  const R = WIDTH - 24;
  const T = leg.height + 20;
  const B = T + 280;
  const out = [leg.svg];
  if (bounds.length === 0) {
    out.push(text((L + R) / 2, (T + B) / 2, 'no latency histogram in this report', 'text-anchor="middle" class="muted"'));
  } else {
    const x = logScale(bounds[first].lower, bounds[last].upper, L, R);
    const maxShare = Math.max(1, ...bounds.flatMap((_, bi) => results.map((_, ri) => share(ri, bi))));
    const { top, ticks } = niceTicks(maxShare);
    const y = (v) => B - (v / top) * (B - T);
    for (const t of ticks) out.push(line(L, y(t), R, y(t), 'grid'), text(L - 8, y(t) + 4, `${tk(t)}%`, 'text-anchor="end" class="tick"'));
    for (let bi = first; bi <= last; bi++) {
      const b = bounds[bi];
      const x0 = x(b.lower);
      const x1 = x(b.upper);
      if (b.overflow) {
        out.push(`<rect class="overflow" x="${n(x0)}" y="${n(T)}" width="${n(x1 - x0)}" height="${n(B - T)}"/>`);
        out.push(text((x0 + x1) / 2, T + 16, `&gt; ${esc(usLabel(b.lower))}`, 'text-anchor="middle" class="tick"'));
      }
      out.push(line(x0, T, x0, B + 5, 'grid'), text(x0, B + 20, esc(usLabel(b.lower)), 'text-anchor="middle" class="tick"'));
      if (bi === last && !b.overflow) out.push(line(x1, T, x1, B + 5, 'grid'), text(x1, B + 20, esc(usLabel(b.upper)), 'text-anchor="middle" class="tick"'));
      const gap = Math.min(4, (x1 - x0) * 0.1);
      const bw = (x1 - x0 - 2 * gap) / Math.max(1, results.length);
      results.forEach((r, ri) => {
        const v = share(ri, bi);
        if (v <= 0) return;
        const range = b.overflow ? `over ${usLabel(b.lower)}` : `${usLabel(b.lower)}–${usLabel(b.upper)}`;
        const tip = `${r.engine}: ${fmt(v, 1)}% of round trips took ${range} (${r.histogram[bi].count} of ${totals[ri]})`;
        const h = Math.max(2, B - y(v));
        out.push(`<rect class="mark" x="${n(x0 + gap + ri * bw)}" y="${n(B - h)}" width="${n(Math.max(1, bw - 1))}" height="${n(h)}" fill="${colors.get(r.engine)}">${title(tip)}</rect>`);
      });
    }
  }
  out.push(line(L, B, R, B, 'axis'), line(L, T, L, B, 'axis'));
  out.push(text((L + R) / 2, B + 42, 'round-trip latency of one noop task (log scale)', 'text-anchor="middle" class="axis-title"'));
  out.push(text(0, 0, 'share of round trips (%)', `text-anchor="middle" class="axis-title" transform="translate(16 ${n((T + B) / 2)}) rotate(-90)"`));
  return root('dispatch', WIDTH, B + 54, 'Dispatch round-trip latency distribution', out.join(''));
}

module.exports = { esc, fmt, isNum, engineColors, timeChart, scalingChart, dispatchChart };
