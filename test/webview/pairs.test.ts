/**
 * The pairs review bundle in Chromium, under the production CSP, with a stubbed VS Code API: keys post the
 * decisions, undo and moves; the help overlay opens and closes; the chunk renders as text with <mark>ed
 * evidence (a chunk holding `<img onerror>` stays text); stale chunks show as stale; answers for a pair already
 * left are dropped; the state comes back with setState.
 */
import * as assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { ChunkView, NumbersView, PairsReviewState, ReviewView } from '../../src/shared/webview-pairs';
import { launchBrowser, WebviewPage } from './harness';

function numbers(over: Partial<NumbersView> = {}): NumbersView {
  return { pairs: 10, reviewed: 0, byLabel: { valid: 0, noise: 0, unsure: 0 }, sampled: 0, unsureInSample: 0, byType: {}, scored: 0, reviewers: [], ...over };
}

function viewOf(over: Partial<ReviewView> = {}, pairOver: Partial<NonNullable<ReviewView['pair']>> = {}): ReviewView {
  return {
    position: 0,
    size: 10,
    order: 'file',
    seed: 7,
    filter: {},
    sampling: false,
    canUndo: false,
    numbers: numbers(),
    reviewer: 'ann',
    scoresAvailable: true,
    pair: {
      id: 'p0',
      entity: 'asthma',
      entityType: 'diagnosis',
      explicit: true,
      generator: 'graph',
      producedBy: 'graph:explicit',
      model: 'graph',
      promptVersion: 'graph-1',
      evidence: [{ start: 8, end: 14 }],
      suspicion: { score: 0.83, reasons: [{ code: 'negated', detail: 'negation trigger before the evidence' }], version: 1 },
      ...pairOver,
    },
    ...over,
  };
}

describe('pairs review webview', function () {
  let browser: Browser;
  let view: WebviewPage;

  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  async function open(state?: unknown): Promise<WebviewPage> {
    const v = await WebviewPage.open(browser, { bundle: 'pairs', styles: ['media/pairs.css'], ...(state ? { state } : {}) });
    await v.waitForPosted('ready');
    return v;
  }

  beforeEach(async () => {
    view = await open();
    await view.deliver({ type: 'info', info: { file: 'demo.pairs.jsonl', labelsFile: 'demo.pairs.jsonl.labels.jsonl', notices: ['demo.pairs.jsonl line 9: the last line is incomplete'] } });
    await view.deliver({ type: 'view', view: viewOf() });
    await view.page.waitForFunction(() => document.getElementById('entity')?.textContent === 'asthma');
  });
  afterEach(async () => {
    const errors = view.errors;
    const csp = await view.cspViolations();
    await view.close();
    assert.deepEqual(errors, [], 'no page errors');
    assert.deepEqual(csp, [], 'no CSP violations');
  });

  async function chunk(c: ChunkView, pairId = 'p0'): Promise<void> {
    await view.deliver({ type: 'chunk', pairId, chunk: c });
  }

  it('shows the pair, its metadata, reasons, notices, and the chunk with the evidence marked', async () => {
    await chunk({ state: 'ok', text: 'History asthma, no wheeze.' });
    await view.page.waitForFunction(() => document.querySelectorAll('#chunk mark').length === 1);
    assert.equal(await view.page.textContent('#chunk mark'), 'asthma');
    assert.equal(await view.page.textContent('#chunk'), 'History asthma, no wheeze.');
    const meta = await view.page.textContent('#meta');
    assert.match(meta!, /diagnosis · explicit · generator graph · model graph/);
    assert.match((await view.page.textContent('#suspicion'))!, /suspicion 0\.83.*negated: negation trigger/s);
    assert.match((await view.page.textContent('#notices'))!, /line 9/);
    assert.equal(await view.page.textContent('#label'), 'unlabelled');
    assert.match((await view.page.textContent('#position'))!, /Pair 1 of 10/);
  });

  it('renders chunk text as text: an <img onerror> in a note never becomes an element', async () => {
    const evil = 'Asthma <img src=x onerror="window.__pwned=1"> <b>bold</b> & more';
    await view.deliver({ type: 'view', view: viewOf({}, { entity: '<script>alert(1)</script>', evidence: [{ start: 0, end: 6 }] }) });
    await chunk({ state: 'ok', text: evil });
    await view.page.waitForFunction(() => document.querySelector('#chunk mark') !== null);
    assert.equal(await view.page.locator('#chunk img, #chunk b, #entity script').count(), 0);
    assert.equal(await view.page.textContent('#chunk'), evil);
    assert.equal(await view.page.textContent('#entity'), '<script>alert(1)</script>');
    assert.equal(await view.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  });

  it('one key per decision; z and Backspace undo; j/k and arrows move', async () => {
    const keys = ['v', 'n', 'u', 'z', 'Backspace', 'j', 'ArrowRight', 'k', 'ArrowUp', 'o'];
    for (const k of keys) await view.page.keyboard.press(k);
    await view.waitForPosted('open');
    const posted = (await view.posted<Record<string, unknown>>()).filter((m) => m.type !== 'ready');
    assert.deepEqual(posted, [
      { type: 'decide', label: 'valid' },
      { type: 'decide', label: 'noise' },
      { type: 'decide', label: 'unsure' },
      { type: 'undo' },
      { type: 'undo' },
      { type: 'move', delta: 1 },
      { type: 'move', delta: 1 },
      { type: 'move', delta: -1 },
      { type: 'move', delta: -1 },
      { type: 'open' },
    ]);
  });

  it('buttons post the same requests as keys; bulk asks the host (which confirms with the count)', async () => {
    await view.page.click('#btn-noise');
    await view.waitForPosted('decide');
    await view.page.click('#bulk-valid');
    const bulk = await view.waitForPosted('bulk');
    assert.deepEqual(bulk, { type: 'bulk', label: 'valid' });
    assert.match((await view.page.textContent('#bulk-count'))!, /\(10\)/);
  });

  it('typing in the entity filter is not taken for decision keys, and posts a filter', async () => {
    await view.page.locator('#filter-entity input').fill('vun');
    const f = await view.waitForPosted<{ filter: { entity?: string } }>('setFilter');
    assert.equal(f.filter.entity, 'vun');
    assert.equal(await view.countPosted('decide'), 0);
  });

  it('? opens the help overlay listing the keys; Escape closes it', async () => {
    assert.equal(await view.page.isVisible('#help'), false);
    await view.page.keyboard.press('?');
    await view.page.waitForSelector('#help', { state: 'visible' });
    const text = await view.page.textContent('#help');
    for (const k of ['v', 'n', 'u', 'z / Backspace', 'j / → / ↓', 'k / ← / ↑', '?']) assert.ok(text!.includes(k), `help lists ${k}`);
    await view.page.keyboard.press('Escape');
    await view.page.waitForSelector('#help', { state: 'hidden' });
  });

  it('a chunk gone from the index, or changed since, shows as stale', async () => {
    await chunk({ state: 'stale', reason: 'missing' });
    await view.page.waitForSelector('#stale', { state: 'visible' });
    assert.match((await view.page.textContent('#stale'))!, /no longer in the index/);
    assert.equal(await view.page.getAttribute('#chunk', 'data-state'), 'stale');
    await chunk({ state: 'stale', reason: 'changed', text: 'Edited text.' });
    await view.page.waitForFunction(() => /changed since the pair was made/.test(document.getElementById('stale')?.textContent ?? ''));
    assert.equal(await view.page.textContent('#chunk'), 'Edited text.');
    assert.equal(await view.page.locator('#chunk mark').count(), 0, 'no evidence marked on a changed text');
    await chunk({ state: 'ok', text: 'History asthma.' });
    await view.page.waitForSelector('#stale', { state: 'hidden' });
  });

  it('drops a chunk answer for a pair it already left; unavailable says why', async () => {
    await view.deliver({ type: 'view', view: viewOf({ position: 1 }, { id: 'p1', entity: 'albuterol' }) });
    await chunk({ state: 'ok', text: 'for the old pair' }, 'p0');
    await chunk({ state: 'unavailable', message: 'No index yet: run "DR.EHR: Index Workspace" to see the chunk text.' }, 'p1');
    await view.page.waitForFunction(() => /No index yet/.test(document.getElementById('chunk')?.textContent ?? ''));
    assert.doesNotMatch((await view.page.textContent('#chunk'))!, /old pair/);
  });

  it('while a large file is still read: the first page shows, decisions and numbers wait, moving still posts', async () => {
    await view.deliver({ type: 'view', view: viewOf({ size: 200, loading: { done: 230_000, total: 1_000_000 } }) });
    await view.page.waitForFunction(() => /reading the pairs file \(23%\)/.test(document.getElementById('position')?.textContent ?? ''));
    assert.equal(await view.page.textContent('#entity'), 'asthma');
    assert.ok(await view.page.locator('#numbers').isHidden(), 'numbers over part of the file are not shown');
    for (const id of ['btn-valid', 'btn-noise', 'btn-unsure', 'btn-undo', 'bulk-noise']) assert.ok(await view.page.locator(`#${id}`).evaluate((e) => e.hasAttribute('disabled')), id);
    await view.page.keyboard.press('v');
    await view.page.keyboard.press('j');
    await view.waitForPosted('move');
    assert.deepEqual((await view.posted<Record<string, unknown>>()).filter((m) => m.type !== 'ready'), [{ type: 'move', delta: 1 }], 'no decision while loading');
    // read to the end: decisions and numbers are back
    await view.deliver({ type: 'view', view: viewOf({ size: 4000 }) });
    await view.page.waitForFunction(() => /Pair 1 of 4,000/.test(document.getElementById('position')?.textContent ?? ''));
    assert.ok(await view.page.locator('#numbers').isVisible());
    assert.equal(await view.page.locator('#btn-valid').evaluate((e) => e.hasAttribute('disabled')), false);
  });

  it('shows the numbers the host computed', async () => {
    const n = numbers({
      reviewed: 40,
      byLabel: { valid: 30, noise: 8, unsure: 2 },
      sampled: 40,
      noise: { k: 8, n: 38, p: 8 / 38, low: 0.11, high: 0.36 },
      projected: { pairs: 1000, noisy: 211, low: 110, high: 360 },
      scored: 38,
      auc: 0.8123,
      top10: { k: 4, precision: 0.75 },
      kappa: { reviewers: ['ann', 'bob'], n: 12, agreement: 0.9, kappa: 0.61 },
      reviewers: ['ann', 'bob'],
    });
    await view.deliver({ type: 'view', view: viewOf({ numbers: n }) });
    await view.page.waitForFunction(() => /21\.1%/.test(document.getElementById('num-noise')?.textContent ?? ''));
    assert.equal(await view.page.textContent('#num-noise'), '21.1% (95% CI 11.0%–36.0%; 8/38)');
    assert.equal(await view.page.textContent('#num-projected'), '211 of 1,000 (110–360)');
    assert.match((await view.page.textContent('#num-auc'))!, /^0\.812/);
    assert.match((await view.page.textContent('#num-top10'))!, /75\.0% \(top 4\)/);
    assert.match((await view.page.textContent('#num-kappa'))!, /0\.610 \(ann vs bob, 12 pairs/);
  });

  it('comes back as it was: the saved view draws at once and ready carries the order, filter and pair', async () => {
    await view.deliver({ type: 'view', view: viewOf({ order: 'sample', seed: 42, filter: { type: 'drug', label: 'unlabelled' } }, { id: 'p7', entity: 'metformin', entityType: 'drug' }) });
    await view.page.keyboard.press('?');
    await view.page.waitForFunction(() => document.getElementById('entity')?.textContent === 'metformin');
    const saved = await view.state<PairsReviewState>();
    assert.equal(saved.pairId, 'p7');
    view = await view.reopen();
    const ready = await view.waitForPosted<{ restore?: { order: string; seed: number; filter: unknown; pairId?: string } }>('ready');
    assert.deepEqual(ready.restore, { order: 'sample', seed: 42, filter: { type: 'drug', label: 'unlabelled' }, pairId: 'p7' });
    assert.equal(await view.page.textContent('#entity'), 'metformin');
    assert.equal(await view.page.isVisible('#help'), true, 'the help overlay stays open');
  });
});
