'use strict';

// The HTML report: rendered from a fixture and opened in a real headless Chromium (from npm, see
// helpers/chromium.js; CHROMIUM_PATH overrides it). A browser that fails to start fails this file:
// it is never skipped. The page checks are proven able to fail on deliberately broken pages.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { renderHtml } = require('../lib/compare/report/html');
const { launchChromium } = require('./helpers/chromium');

const fixture = () => JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'compare-report.json'), 'utf8'));
// A --task and --app run (one task row and one app row made to fail, with markup in the message).
const ownFixture = () => JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'compare-report-own.json'), 'utf8'));
const FAILED_ENGINE = 'native-simd <beta> & "co"';
const FAILED_ERROR = 'worker crashed: <script>window.__pwned = 1</script> & "quoted" <b>not bold</b>';
const CHARTS = ['time', 'scaling', 'dispatch'];

const expectDocument = (html) => {
  expect(html.startsWith('<!doctype html>')).toBe(true);
  expect(html).toMatch(/<\/body>\s*<\/html>\s*$/);
  expect(html).not.toMatch(/https?:|\/\/[a-z]/i); // no URL at all: nothing to fetch
  expect(html).not.toMatch(/undefined|NaN|\[object Object\]/);
};

/**
 * Writes `html` to `dir/name` and loads it in a context of its own, recording console errors,
 * uncaught page errors and every request. Requests other than file: ones are aborted (still
 * recorded), so a broken page cannot reach the network.
 */
async function openPage(browser, dir, name, html) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, html);
  const visit = { url: pathToFileURL(file).href, consoleErrors: [], pageErrors: [], requests: [] };
  visit.context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  await visit.context.route((url) => url.protocol !== 'file:', (route) => route.abort());
  visit.page = await visit.context.newPage();
  visit.page.on('console', (msg) => {
    if (msg.type() === 'error') visit.consoleErrors.push(msg.text());
  });
  visit.page.on('pageerror', (err) => visit.pageErrors.push(err.message));
  visit.page.on('request', (req) => visit.requests.push(req.url()));
  await visit.page.goto(visit.url, { waitUntil: 'load' });
  return visit;
}

/** What is wrong with a loaded report page, one string per fault; [] when nothing is. */
async function pageProblems(visit) {
  const problems = [];
  for (const text of visit.consoleErrors) problems.push(`console error: ${text}`);
  for (const text of visit.pageErrors) problems.push(`page error: ${text}`);
  for (const url of visit.requests) if (url !== visit.url) problems.push(`request: ${url}`);
  for (const name of CHARTS) {
    const chart = visit.page.locator(`svg.chart[data-chart="${name}"]`);
    const count = await chart.count();
    if (count !== 1) {
      problems.push(`${name} chart: ${count} on the page`);
      continue;
    }
    const box = await chart.boundingBox();
    if (!box || box.width <= 100 || box.height <= 100) problems.push(`${name} chart: not drawn at size (${JSON.stringify(box)})`);
    if ((await chart.locator('.mark').count()) === 0) problems.push(`${name} chart: no marks`);
  }
  return problems;
}

describe('compare HTML report in headless Chromium', () => {
  let dir;
  let browser;
  let html;
  let good;
  let page;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'native-parallel-report-'));
    html = renderHtml(fixture());
    browser = await launchChromium();
    fs.writeFileSync(path.join(dir, 'extra.css'), 'body { margin: 0 }');
    good = await openPage(browser, dir, 'compare-report.html', html);
    page = good.page;
  }, 180000); // the first run unpacks the browser (helpers/chromium.js bounds that at 120 s)

  afterAll(async () => {
    await good?.context.close();
    await browser?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('loads with no errors, no request but the file itself, and every chart drawn with marks', async () => {
    expectDocument(html);
    expect(await pageProblems(good)).toEqual([]);
    expect(good.requests).toEqual([good.url]);
  });

  // Negative controls: each check above must fail on a page broken in its way, and only that check.
  const scriptBeforeBodyEnd = (script) => (h) => h.replace('</body>', `<script>${script}</script></body>`);
  test.each([
    ['logs a console error', scriptBeforeBodyEnd('console.error("deliberate")'), ['console error: deliberate']],
    ['throws', scriptBeforeBodyEnd('throw new Error("deliberate")'), ['page error: deliberate']],
    ['loads a file beside it', (h) => h.replace('</head>', '<link rel="stylesheet" href="extra.css"></head>'), [expect.stringMatching(/^request: file:.*\/extra\.css$/)]],
    ['draws no marks', (h) => h.replace(/class="mark\b/g, 'class="unmarked'), CHARTS.map((name) => `${name} chart: no marks`)],
    ['hides its charts', (h) => h.replace('</head>', '<style>svg.chart { display: none }</style></head>'), CHARTS.map((name) => `${name} chart: not drawn at size (null)`)],
    ['draws no charts', (h) => h.replace(/<svg class="chart"/g, '<svg class="plot"'), CHARTS.map((name) => `${name} chart: 0 on the page`)],
  ])('the checks catch a page that %s', async (what, breakPage, expected) => {
    const name = `broken-${what.replace(/\W+/g, '-')}.html`;
    const broken = breakPage(html);
    expect(broken).not.toBe(html);
    const visit = await openPage(browser, dir, name, broken);
    try {
      expect(await pageProblems(visit)).toEqual(expected);
    } finally {
      await visit.context.close();
    }
  });

  test('the checks catch a network request, which never leaves the machine', async () => {
    const broken = html.replace('</head>', '<link rel="stylesheet" href="http://127.0.0.1:9/remote.css"></head>');
    const visit = await openPage(browser, dir, 'broken-remote.html', broken);
    try {
      expect(await pageProblems(visit)).toContain('request: http://127.0.0.1:9/remote.css');
      expect(visit.requests).toEqual([visit.url, 'http://127.0.0.1:9/remote.css']);
    } finally {
      await visit.context.close();
    }
  });

  test('marks: one per ok engine per workload, scaling points and lines, dispatch buckets', async () => {
    const report = fixture();
    const ok = report.workloads.flatMap((w) => w.results).filter((r) => r.status === 'ok').length;
    expect(await page.locator('[data-chart="time"] .mark').count()).toBe(ok);
    const points = report.suites.scaling.results.flatMap((r) => r.points).length;
    expect(await page.locator('[data-chart="scaling"] circle.mark').count()).toBe(points);
    expect(await page.locator('[data-chart="scaling"] polyline.mark').count()).toBe(report.suites.scaling.results.length);
    const bars = report.suites.dispatch.results.flatMap((r) => r.histogram).filter((b) => b.count > 0).length;
    expect(await page.locator('[data-chart="dispatch"] .mark').count()).toBe(bars);
  });

  test('a failed engine shows FAILED and its message as text, nothing injected', async () => {
    const row = page.locator('tr.failed', { hasText: FAILED_ENGINE });
    await expect(row.count()).resolves.toBe(1);
    const text = await row.textContent();
    expect(text).toContain('FAILED');
    expect(text).toContain(FAILED_ERROR);
    expect(text).not.toMatch(/\d+(\.\d+)?\s*\(/); // no time on a failed row
    expect(await page.evaluate(() => document.scripts.length)).toBe(0);
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(await page.locator('main b').count()).toBe(0);
    expect(await page.locator('[data-chart="time"] text.fail', { hasText: 'FAILED' }).count()).toBeGreaterThan(0);
    expect(await page.locator('.legend', { hasText: FAILED_ENGINE }).count()).toBeGreaterThan(0);
  });

  test('headline and sections are all there', async () => {
    const cards = page.locator('.cards .card');
    expect(await cards.count()).toBe(fixture().workloads.length);
    expect(await cards.first().textContent()).toContain('native-threads');
    for (const id of ['time', 'scaling', 'dispatch', 'startup', 'memory', 'ipc', 'http']) {
      expect(await page.locator(`h2#${id}`).isVisible()).toBe(true);
    }
  });

  test('a --task and --app report shows the task, the server and the verdict, failures as text', async () => {
    const report = ownFixture();
    const own = renderHtml(report);
    expectDocument(own);
    const visit = await openPage(browser, dir, 'own.html', own);
    try {
      const problems = await pageProblems(visit);
      // This report has no scaling or dispatch suite: only those two charts are absent.
      expect(problems).toEqual(['scaling chart: 0 on the page', 'dispatch chart: 0 on the page']);
      const p = visit.page;
      const task = report.workloads[0];
      const rows = p.locator('section.task tbody tr');
      expect(await rows.count()).toBe(task.results.length);
      expect(await p.locator('section.task h3').textContent()).toContain('fib-task.js');
      const ok = task.results.filter((r) => r.status === 'ok');
      expect(await p.locator('section.task tr', { hasText: 'results = main thread' }).count()).toBe(ok.length);
      expect(await p.locator('[data-chart="time"] .mark').count()).toBe(ok.length);
      const failed = p.locator('section.task tr.failed');
      expect(await failed.textContent()).toContain("FAILED: task 5: result differs from the main thread's: got { html: '<b>bold</b> & co' }");
      expect(await p.locator('section.task tr.skipped').count()).toBe(2);
      // The server: one row per mode and connection kind; the failed one shows its error count.
      expect(await p.locator('h2#app').isVisible()).toBe(true);
      const appRows = p.locator('h2#app + .scroll tbody tr');
      expect(await appRows.count()).toBe(8);
      expect(await p.locator('h2#app + .scroll tr.failed').textContent()).toMatch(/native-cluster-shared ×2new per requestFAILED: 3 errors: 3 non-2xx responses/);
      // The verdict: every sentence, the question answered with numbers.
      expect(await p.locator('h2#verdict').isVisible()).toBe(true);
      const items = await p.locator('ul.verdict li').allTextContents();
      expect(items).toEqual(report.verdict.text);
      expect(items[0]).toMatch(/cluster or worker_threads\? worker_threads, [\d.]+x faster \(worker_threads [\d.]+ ms, cluster [\d.]+ ms/);
      expect(await p.locator('nav a').allTextContents()).toEqual(['Workloads', 'Your server', 'Verdict']);
      expect(await p.evaluate(() => document.scripts.length)).toBe(0);
      expect(await p.locator('main b, main i').count()).toBe(0);
    } finally {
      await visit.context.close();
    }
  });

  test('a kernel report with a task and a server has every section', async () => {
    const both = fixture();
    const own = ownFixture();
    both.workloads.push(...own.workloads);
    both.suites.app = own.suites.app;
    both.verdict = own.verdict;
    const visit = await openPage(browser, dir, 'both.html', renderHtml(both));
    try {
      expect(await pageProblems(visit)).toEqual([]);
      for (const id of ['time', 'scaling', 'dispatch', 'startup', 'memory', 'ipc', 'http', 'app', 'verdict']) {
        expect(await visit.page.locator(`h2#${id}`).isVisible()).toBe(true);
      }
      expect(await visit.page.locator('section.task').count()).toBe(1);
    } finally {
      await visit.context.close();
    }
  });

  test('a full-page screenshot is written', async () => {
    const png = path.join(dir, 'compare-report.png');
    await page.screenshot({ path: png, fullPage: true });
    const bytes = fs.readFileSync(png);
    expect(bytes.length).toBeGreaterThan(10000);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    if (process.env.REPORT_SCREENSHOT) fs.copyFileSync(png, process.env.REPORT_SCREENSHOT); // to look at it
  });
});

describe('renderHtml on partial reports', () => {
  const base = () => {
    const r = fixture();
    r.workloads = r.workloads.filter((w) => w.name === 'mandelbrot');
    return r;
  };

  test('only suites, no compute workloads', () => {
    const r = fixture();
    r.workloads = [];
    const html = renderHtml(r);
    expectDocument(html);
    expect(html).not.toContain('data-chart="time"');
    expect(html).toContain('data-chart="scaling"');
    expect(html).toContain('data-chart="dispatch"');
  });

  test('one workload where every engine failed', () => {
    const r = base();
    r.suites = {};
    r.workloads[0].results = r.workloads[0].results.map((x) => ({ engine: x.engine, workers: x.workers, status: 'failed', error: `${x.engine} <died> & "gone"` }));
    const html = renderHtml(r);
    expectDocument(html);
    expect(html).toContain('every engine FAILED');
    expect(html).toContain('js &lt;died&gt; &amp; &quot;gone&quot;');
    expect(html).not.toContain('<died>');
    expect(html).not.toMatch(/class="mark"/);
  });

  test('no scaling and no dispatch sections', () => {
    const r = base();
    delete r.suites.scaling;
    delete r.suites.dispatch;
    const html = renderHtml(r);
    expectDocument(html);
    expect(html).toContain('data-chart="time"');
    expect(html).not.toContain('data-chart="scaling"');
    expect(html).not.toContain('data-chart="dispatch"');
  });

  test('js failed: other engines keep their times but no speedup', () => {
    const r = base();
    const js = r.workloads[0].results.find((x) => x.engine === 'js');
    Object.assign(js, { status: 'failed', error: 'boom' });
    for (const x of r.workloads[0].results) if (x.status === 'ok') Object.assign(x, { speedup: null, speedupPerWorker: null });
    const html = renderHtml(r);
    expectDocument(html);
    expect(html).toContain('no js baseline');
  });

  test('parallel efficiency is shown under that name with the one-worker time; unknown shows -', () => {
    const r = base();
    const rows = r.workloads[0].results;
    const nt = rows.find((x) => x.engine === 'native-threads');
    Object.assign(nt, { oneWorkerMs: { median: 12.5, min: 12.5, max: 12.5, runs: 1 }, timeMs: { median: 6.5, min: 6.5, max: 6.5, runs: 1 }, efficiency: 12.5 / (2 * 6.5) });
    Object.assign(rows.find((x) => x.engine === 'cluster'), { oneWorkerMs: null, efficiency: null });
    const html = renderHtml(r);
    expectDocument(html);
    expect(html).toContain('<th>parallel efficiency</th>');
    expect(html).not.toMatch(/<th>efficiency<\/th>/);
    const row = (engine) => html.split('<tr').find((tr) => tr.includes(`${engine}</span>`) && tr.includes('<td>'));
    expect(row('native-threads')).toContain('<td>0.96<span class="sub">1 worker: 12.5 ms</span></td>');
    expect(row('cluster')).toMatch(/<td>-<\/td><td>[\d.]+<\/td><td>[\d.]+<\/td><\/tr>/);
    expect(row('js')).not.toContain('1 worker');
    expect(html).toContain("Parallel efficiency is the engine's own time on one worker");
  });

  test('failed suite rows and scaling points show FAILED with the message', () => {
    const r = fixture();
    r.suites.scaling.results[0].points[1] = { workers: 2, error: 'scale <err>' };
    r.suites.memory.results[0] = { engine: 'worker_threads', status: 'failed', error: 'mem <err>' };
    r.suites.ipc.results[0] = { engine: 'cluster (advanced)', status: 'failed', error: 'ipc <err>' };
    r.suites.http.results[0] = { engine: 'single process', connection: 'keep-alive', status: 'skipped', error: 'autocannon <missing>' };
    const html = renderHtml(r);
    expectDocument(html);
    for (const m of ['scale', 'mem', 'ipc']) expect(html).toContain(`<strong>FAILED</strong>: ${m} &lt;err&gt;`);
    expect(html).toContain('<strong>SKIPPED</strong>: autocannon &lt;missing&gt;');
  });

  test('an empty or minimal report is still a complete document', () => {
    for (const r of [{}, { workloads: [], suites: {} }, { machine: { cpus: 1 }, suites: { dispatch: { results: [] }, scaling: { results: [] } } }, null]) {
      expectDocument(renderHtml(r));
    }
  });
});
