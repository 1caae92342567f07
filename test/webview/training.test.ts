/**
 * The training run panel bundle in Chromium, under the production CSP, with a stubbed VS Code API: it says
 * ready, draws the loss curve as SVG from a snapshot and redraws it live as steps arrive, renders run ids and
 * error messages as text (never HTML), enables "Use This Model" only for a finished run, and comes back from
 * setState when shown again.
 */
import * as assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { TrainingPanelState, TrainingRunView } from '../../src/shared/webview-training';
import { launchBrowser, WebviewPage } from './harness';

function run(over: Partial<TrainingRunView> = {}): TrainingRunView {
  return {
    id: 'stage1-20261206-020409',
    stage: 'stage1',
    status: 'running',
    detail: 'step 3/100 · loss 1.2000',
    device: 'cpu',
    step: 3,
    totalSteps: 100,
    lastLoss: 1.2,
    lastLr: 3e-5,
    samplesPerS: 41.5,
    etaS: 250,
    losses: [[1, 2.0], [2, 1.5], [3, 1.2]],
    lossesThinned: false,
    evals: [],
    configErrors: [],
    canUseModel: false,
    modelDir: '/ws/.drehr/runs/stage1-20261206-020409/model',
    settings: [['stage', 'stage1'], ['base model', '/ext/models/demo']],
    ...over,
  };
}

/** Number of points in an SVG path's d attribute (M and L commands). */
function pathPoints(d: string | null): number {
  return (d ?? '').match(/[ML]/g)?.length ?? 0;
}

describe('training run panel webview', function () {
  let browser: Browser;
  let view: WebviewPage;

  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    view = await WebviewPage.open(browser, { bundle: 'training' });
    await view.waitForPosted('ready');
  });
  afterEach(async () => {
    const errors = view.errors;
    const csp = await view.cspViolations();
    await view.close();
    assert.deepEqual(errors, [], 'no page errors');
    assert.deepEqual(csp, [], 'no CSP violations');
  });

  it('draws the loss curve and the run status from a snapshot', async () => {
    await view.deliver({ type: 'snapshot', run: run() });
    await view.page.waitForSelector('#loss-chart path.raw');
    assert.equal(pathPoints(await view.page.getAttribute('#loss-chart path.raw', 'd')), 3);
    assert.equal(await view.page.textContent('#status'), 'running');
    assert.equal(await view.page.textContent('#run-id'), 'stage1-20261206-020409');
    const stats = await view.page.textContent('#stats');
    assert.match(stats ?? '', /step 3 \/ 100/);
    assert.match(stats ?? '', /loss 1\.20/);
    assert.match(stats ?? '', /ETA 4 min/);
    assert.equal(await view.page.isDisabled('#use-model'), true, 'a running run cannot be used');
    // Styles came through the constructable style sheet, under the CSP.
    const stroke = await view.page.$eval('#loss-chart path.raw', (e) => getComputedStyle(e).fill);
    assert.equal(stroke, 'none');
  });

  it('redraws live as steps arrive, with a smoothed line once there are enough points', async () => {
    await view.deliver({ type: 'snapshot', run: run() });
    await view.page.waitForSelector('#loss-chart path.raw');
    assert.equal(await view.page.$('#loss-chart path.smooth'), null, 'no smoothing for 3 points');
    const losses: Array<[number, number]> = Array.from({ length: 40 }, (_, i) => [i + 1, 2 / (i + 1)]);
    await view.deliver({ type: 'snapshot', run: run({ step: 40, losses, lastLoss: 0.05 }) });
    await view.page.waitForFunction(() => document.body.dataset.step === '40');
    assert.equal(pathPoints(await view.page.getAttribute('#loss-chart path.raw', 'd')), 40);
    assert.equal(pathPoints(await view.page.getAttribute('#loss-chart path.smooth', 'd')), 40);
    const ticks = await view.page.$$eval('#loss-chart .labels text', (ts) => ts.map((t) => t.textContent));
    assert.ok(ticks.includes('step'));
    assert.ok(ticks.length > 5, `axis labels: ${ticks.join(', ')}`);
  });

  it('breaks the line at NaN losses and marks them', async () => {
    await view.deliver({ type: 'snapshot', run: run({ losses: [[1, 2], [2, 1.5], [3, null], [4, 1.4], [5, 1.3]], lastLoss: 1.3 }) });
    await view.page.waitForSelector('#loss-chart circle.nan');
    const d = await view.page.getAttribute('#loss-chart path.raw', 'd');
    assert.equal((d ?? '').match(/M/g)?.length, 2, 'two segments around the NaN');
    assert.equal(await view.page.$$eval('#loss-chart circle.nan', (c) => c.length), 1);
  });

  it('shows evaluations and final metrics, and enables Use This Model for a finished run', async () => {
    await view.deliver({
      type: 'snapshot',
      run: run({ status: 'finished', detail: 'finished after 100 steps', evals: [{ step: 50, metrics: { mrr: 0.3123, 'ndcg@10': 0.4 } }], finalMetrics: { mrr: 0.41 }, canUseModel: true }),
    });
    await view.page.waitForSelector('#metrics');
    const rows = await view.page.$$eval('#metrics tr', (trs) => trs.map((tr) => Array.from(tr.children).map((c) => c.textContent)));
    assert.deepEqual(rows, [['', 'mrr', 'ndcg@10'], ['step 50', '0.3123', '0.4000'], ['final', '0.4100', '']]);
    assert.equal(await view.page.isDisabled('#use-model'), false);
    await view.page.click('#use-model');
    assert.deepEqual(await view.waitForPosted('useModel'), { type: 'useModel', id: 'stage1-20261206-020409' });
    await view.page.click('#open-events');
    assert.deepEqual(await view.waitForPosted('openFile'), { type: 'openFile', id: 'stage1-20261206-020409', file: 'events' });
  });

  it('renders ids, errors and settings as text, never as HTML', async () => {
    const evil = '<img src=x onerror="window.__pwned=1">';
    await view.deliver({
      type: 'snapshot',
      run: run({ id: evil, status: 'failed', detail: evil, error: { message: evil, hint: '<b>hint</b>' }, configErrors: [evil], settings: [['base model', evil]] }),
    });
    await view.page.waitForSelector('#error');
    assert.equal(await view.page.textContent('#run-id'), evil);
    assert.match((await view.page.textContent('#error')) ?? '', /<b>hint<\/b>/);
    assert.equal(await view.page.$('img'), null);
    assert.equal(await view.page.$('b:not(#stats b)'), null);
    assert.equal(await view.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  });

  it('a failed run: the error once, the stage once, and no Use This Model', async () => {
    await view.deliver({
      type: 'snapshot',
      run: run({ status: 'failed', detail: 'stopped with an error before training started', step: 0, losses: [], error: { message: 'the base has no weights', hint: 'pick another base' }, settings: [['stage', 'stage1']] }),
    });
    await view.page.waitForSelector('#error');
    const text = (await view.page.textContent('body')) ?? '';
    assert.equal(text.split('the base has no weights').length - 1, 1, 'the error message appears once');
    assert.equal(text.split('stage1').length - 1, 2, 'the run id and the settings row name the stage; nothing else');
    assert.equal(await view.page.$('#use-model'), null, 'a failed run offers no model');
    assert.equal(await view.page.textContent('#status'), 'failed');
  });

  it('says when there is no loss yet, and when the run folder is gone', async () => {
    await view.deliver({ type: 'snapshot', run: run({ losses: [], step: 0, status: 'running' }) });
    await view.page.waitForSelector('#no-loss');
    assert.match((await view.page.textContent('#no-loss')) ?? '', /Waiting for the first step/);
    await view.deliver({ type: 'gone', id: 'r1' });
    await view.page.waitForSelector('#gone');
  });

  it('keeps the last snapshot with setState and draws it at once when shown again', async () => {
    await view.deliver({ type: 'snapshot', run: run({ step: 7, losses: [[1, 2], [7, 1]] }) });
    await view.page.waitForFunction(() => document.body.dataset.step === '7');
    const state = await view.state<TrainingPanelState>();
    assert.equal(state.run?.step, 7);
    view = await view.reopen();
    // Drawn from the saved state before any host message arrives.
    await view.page.waitForSelector('#loss-chart path.raw');
    assert.equal(await view.page.textContent('#run-id'), 'stage1-20261206-020409');
    await view.waitForPosted('ready');
  });
});
