/**
 * The evaluation report bundle in Chromium, under the production CSP: the tables and one bar chart per setting
 * render from a report (bars per match type, one per ranker), report text goes in as text (never HTML), the
 * chart metric can be switched and is kept with setState, and the buttons post openFile.
 */
import * as assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { EvalReport, MultiScores, RankerResult, SingleScores } from '../../src/shared/webview-eval';
import { launchBrowser, WebviewPage } from './harness';

const s = (mrr: number, n = 10): SingleScores => ({ mrr, ndcg: mrr, map: mrr, n });
const m = (mrr: number, n = 5): MultiScores => ({ mrr, ndcg10EvalPy: mrr, ndcg10: mrr / 2, recall100: mrr, n });

function result(ranker: RankerResult['ranker'], base: number): RankerResult {
  return {
    ranker,
    ...(ranker !== 'bm25' ? { modelId: 'drehr-demo-abc' } : {}),
    single: [
      { key: 'overall', scores: s(base) },
      { key: 'disease', scores: s(base) },
      { key: 'string', scores: s(base + 0.1) },
      { key: 'synonym', scores: s(base - 0.2) },
      { key: 'abbreviation', scores: s(0, 0) },
    ],
    multi: [
      { key: 'overall', scores: m(base) },
      { key: 'string', scores: m(base + 0.05) },
      { key: 'synonym', scores: m(base - 0.1) },
    ],
    rankSeconds: 1,
    indexSeconds: 2,
  };
}

function report(): EvalReport {
  return {
    format: 1,
    benchmark: { name: '<img src=x onerror="window.__pwned=1">', dir: '/b', chunking: { words: 100, overlap: 10, minWords: 50 } },
    counts: { notes: 3, chunks: 20, queries: 4, qrels: 9, queriesEvaluated: 3, singlePairs: 10 },
    model: { id: 'drehr-demo-abc', name: 'demo', dir: '/m', trained: true },
    issues: { counts: { 'unknown-chunk': 2 }, examples: [{ kind: 'unknown-chunk', where: 'qrels.tsv (d1)', message: 'chunk <b>x</b> is not in the corpus' }] },
    results: [result('bm25', 0.5), result('dense', 0.7)],
    depth: 20,
    machine: 'test machine',
    created: '2026-12-06T00:00:00Z',
    tool: 'test',
    notes: ['a note'],
  };
}

describe('evaluation report webview', function () {
  let browser: Browser;
  let view: WebviewPage;

  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    view = await WebviewPage.open(browser, { bundle: 'eval' });
    await view.waitForPosted('ready');
  });
  afterEach(async () => {
    const errors = view.errors;
    const csp = await view.cspViolations();
    await view.close();
    assert.deepEqual(errors, []);
    assert.deepEqual(csp, []);
  });

  it('renders both tables, with the best value per metric in bold and empty rows as n/a', async () => {
    await view.deliver({ type: 'report', report: report(), savedTo: { md: '/o/report.md', json: '/o/report.json' } });
    await view.page.waitForSelector('table[data-setting="multi"]');
    const single = await view.page.$$eval('table[data-setting="single"] tr', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
    assert.deepEqual(single[0], ['', 'pairs', 'bm25 MRR', 'bm25 nDCG', 'bm25 MAP', 'dense MRR', 'dense nDCG', 'dense MAP']);
    assert.deepEqual(single[1], ['overall', '10', '50.00', '50.00', '50.00', '70.00', '70.00', '70.00']);
    assert.deepEqual(single[5], ['abbreviation', '0', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a']);
    const best = await view.page.$$eval('table[data-setting="single"] tr[data-key="overall"] td.best', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(best, ['70.00', '70.00', '70.00']);
    const multiHead = await view.page.$$eval('table[data-setting="multi"] th', (c) => c.map((x) => x.textContent));
    assert.ok(multiHead.includes('bm25 nDCG@10 (eval.py)') && multiHead.includes('dense R@100'));
  });

  it('draws one bar per ranker per match type, heights from the metric', async () => {
    await view.deliver({ type: 'report', report: report() });
    await view.page.waitForSelector('svg.chart[data-setting="single"]');
    const bars = await view.page.$$eval('svg.chart[data-setting="single"] rect.bar', (rs) =>
      rs.map((r) => [r.getAttribute('data-group'), r.getAttribute('data-ranker'), Number(r.getAttribute('height'))]),
    );
    // overall, string, synonym (abbreviation has no pairs): 3 groups x 2 rankers
    assert.deepEqual(bars.map((b) => `${b[0]}/${b[1]}`), ['overall/bm25', 'overall/dense', 'string/bm25', 'string/dense', 'synonym/bm25', 'synonym/dense']);
    const h = Object.fromEntries(bars.map((b) => [`${b[0]}/${b[1]}`, b[2] as number]));
    assert.ok(h['string/dense'] > h['overall/dense'] && h['overall/dense'] > h['overall/bm25']);
    assert.ok(Math.abs(h['synonym/dense'] / h['overall/dense'] - 0.5 / 0.7) < 1e-6);
  });

  it('shows report text as text, never as HTML', async () => {
    await view.deliver({ type: 'report', report: report() });
    await view.page.waitForSelector('h1');
    assert.equal(await view.page.$eval('h1', (e) => e.textContent), 'Evaluation: <img src=x onerror="window.__pwned=1">');
    assert.equal(await view.page.$$eval('img, b', (e) => e.length), 0);
    assert.equal(await view.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.match(await view.page.$eval('.issues li', (e) => e.textContent ?? ''), /chunk <b>x<\/b>/);
  });

  it('switches the chart metric, keeps it and the report across a reopen, and posts openFile', async () => {
    await view.deliver({ type: 'report', report: report(), savedTo: { md: '/o/report.md', json: '/o/report.json' } });
    await view.page.waitForSelector('#metric-multi');
    await view.page.selectOption('#metric-multi', 'ndcg10');
    await view.page.waitForSelector('svg.chart[data-metric="ndcg10"]');
    await view.page.click('#open-json');
    const posted = await view.waitForPosted<{ which: string }>('openFile');
    assert.equal(posted.which, 'json');
    view = await view.reopen();
    await view.page.waitForSelector('svg.chart[data-setting="multi"][data-metric="ndcg10"]');
    assert.equal(await view.page.$eval('#metric-multi', (e) => (e as HTMLSelectElement).value), 'ndcg10');
    assert.equal(await view.page.$$eval('table', (t) => t.length), 2);
  });

  it('shows progress until the report arrives', async () => {
    await view.deliver({ type: 'progress', message: 'bm25: 3/10 queries' });
    await view.page.waitForFunction(() => document.body.textContent?.includes('bm25: 3/10 queries'));
  });
});
