/**
 * The search panel bundle in Chromium, under the production CSP, with a stubbed VS Code API: typing posts a
 * Search, results render with <mark> highlights as text (never HTML), stale replies are dropped, a click posts
 * Open, and the state comes back from setState. Then the issue-8 panel: Passages | Patients, expansion chips,
 * filters, keyboard navigation, history, the empty states and their buttons, export and Find Similar.
 */
import * as assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { PatientHit, PatientSearchResult, SearchHit, SearchResult } from '../../src/shared/protocol';
import type { SearchPanelState } from '../../src/shared/webview';
import { launchBrowser, WebviewPage } from './harness';

interface SearchMsg {
  type: 'search';
  id: number;
  query: string;
  mode: string;
  view: string;
  aggregate?: string;
  patientId?: string;
  filters?: { noteTypes?: string[]; dateFrom?: string; dateTo?: string; folders?: string[]; patientIds?: string[] };
  disabledExpansions?: string[];
}

function hit(over: Partial<SearchHit> = {}): SearchHit {
  return {
    chunkId: 'n1::0',
    noteId: 'n1',
    patientId: 'p001',
    noteType: 'visit note',
    date: '2031-01-05',
    sourcePath: 'p001/n1.md',
    charStart: 10,
    charEnd: 90,
    score: 0.8123,
    matchedBy: ['dense', 'bm25'],
    snippet: 'patient denies chest pain today',
    highlights: [{ start: 15, end: 20 }, { start: 21, end: 25 }],
    ...over,
  };
}

function result(hits: SearchHit[], expansions: string[] = []): SearchResult {
  return { hits, expansions, tookMs: 12 };
}

describe('search panel webview', function () {
  let browser: Browser;
  let view: WebviewPage;

  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    view = await WebviewPage.open(browser, { bundle: 'search', styles: ['media/search.css'] });
    await view.waitForPosted('ready');
    await view.deliver({ type: 'config', mode: 'hybrid', aggregate: 'max', ready: true, readiness: 'ready' });
  });
  afterEach(async () => {
    const errors = view.errors;
    const csp = await view.cspViolations();
    await view.close();
    assert.deepEqual(errors, [], 'no page errors');
    assert.deepEqual(csp, [], 'no CSP violations');
  });

  async function typeQuery(text: string): Promise<void> {
    await view.page.locator('#query input').fill(text);
  }

  it('asks for patients when the index is ready and says how many there are', async () => {
    const req = await view.waitForPosted<{ id: number }>('patients');
    await view.deliver({ type: 'patientsReply', id: req.id, ok: true, patients: [{ patientId: 'p001', notes: 3 }, { patientId: 'p002', notes: 1 }] });
    await view.page.waitForFunction(() => document.querySelector('#patient-hint')?.textContent === '2 patients in the index.');
  });

  it('typing posts one debounced search with the query and mode', async () => {
    await typeQuery('chest pain');
    const msg = await view.waitForPosted<SearchMsg>('search');
    assert.equal(msg.query, 'chest pain');
    assert.equal(msg.mode, 'hybrid');
    assert.equal(msg.patientId, undefined);
    assert.equal(msg.view, 'passages');
    assert.equal(msg.filters, undefined);
    assert.equal(await view.countPosted('search'), 1);
  });

  it('renders hits with <mark> highlights, expansions and meta', async () => {
    await typeQuery('chest pain');
    const msg = await view.waitForPosted<SearchMsg>('search');
    await view.deliver({ type: 'searchReply', id: msg.id, ok: true, result: result([hit(), hit({ chunkId: 'x::0', noteId: 'x', row: 4, sourcePath: 'exports/a.csv' })], ['thoracic pain']) });
    await view.page.waitForSelector('#results li.hit >> nth=1');
    const first = await view.page.$eval('#results li.hit', (li) => ({
      marks: [...li.querySelectorAll('mark')].map((m) => m.textContent),
      snippet: li.querySelector('.hit-snippet')?.textContent,
      patient: li.querySelector('.hit-patient')?.textContent,
      score: li.querySelector('.hit-score')?.textContent,
    }));
    assert.deepEqual(first.marks, ['chest', 'pain']);
    assert.equal(first.snippet, 'patient denies chest pain today');
    assert.equal(first.patient, 'p001');
    assert.equal(first.score, '100', 'the top hit is 100 on the relative scale');
    const second = await view.page.$eval('#results li.hit:nth-child(2) .hit-score', (e) => ({ text: e.textContent, title: (e as HTMLElement).title }));
    assert.equal(second.text, '100');
    assert.match(second.title, /Relevance 100 of 100.*Rank 2 of 2.*Raw score 0\.812: reciprocal-rank fusion/);
    assert.equal(await view.page.$eval('#results li.hit .hit-ranker', (e) => e.textContent), 'dense + BM25');
    const meta = await view.page.$eval('#results li.hit:nth-child(2) .hit-meta', (e) => e.textContent);
    assert.match(meta ?? '', /exports\/a\.csv row 4/);
    assert.deepEqual(await view.page.$$eval('#chips .chip', (es) => es.map((e) => [e.textContent, e.getAttribute('aria-pressed')])), [['thoracic pain', 'true']]);
  });

  it('renders note text containing markup as text, never as HTML', async () => {
    await typeQuery('x');
    const msg = await view.waitForPosted<SearchMsg>('search');
    const evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> done';
    await view.deliver({
      type: 'searchReply',
      id: msg.id,
      ok: true,
      result: result([hit({ snippet: evil, highlights: [{ start: 0, end: 8 }], noteId: '<b>bold</b>', patientId: '<i>p</i>' })]),
    });
    await view.page.waitForSelector('#results li.hit');
    const r = await view.page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: number }).__pwned,
      scripts: document.querySelectorAll('#results script, #results img, #results b, #results i').length,
      snippet: document.querySelector('.hit-snippet')?.textContent,
      mark: document.querySelector('.hit-snippet mark')?.textContent,
      note: document.querySelector('.hit-note')?.textContent,
    }));
    assert.equal(r.pwned, undefined);
    assert.equal(r.scripts, 0);
    assert.equal(r.snippet, evil);
    assert.equal(r.mark, '<script>');
    assert.equal(r.note, '<b>bold</b>');
  });

  it('drops a reply to a search that a newer one replaced', async () => {
    await typeQuery('first');
    const a = await view.waitForPosted<SearchMsg>('search', 1);
    await typeQuery('second');
    const b = await view.waitForPosted<SearchMsg>('search', 2);
    assert.notEqual(a.id, b.id);
    await view.deliver({ type: 'searchReply', id: a.id, ok: true, result: result([hit({ noteId: 'stale' })]) });
    await view.deliver({ type: 'searchReply', id: b.id, ok: true, result: result([hit({ noteId: 'fresh' })]) });
    await view.page.waitForSelector('#results li.hit');
    const notes = await view.page.$$eval('.hit-note', (es) => es.map((e) => e.textContent));
    assert.deepEqual(notes, ['fresh']);
  });

  it('shows an error reply', async () => {
    await typeQuery('x');
    const msg = await view.waitForPosted<SearchMsg>('search');
    await view.deliver({ type: 'searchReply', id: msg.id, ok: false, error: 'Cannot search: the sidecar is not running.' });
    await view.page.waitForFunction(() => document.querySelector('#message')?.textContent?.includes('sidecar is not running'));
  });

  it('a changed mode searches again with that mode', async () => {
    await typeQuery('htn');
    await view.waitForPosted<SearchMsg>('search', 1);
    await view.page.evaluate(() => {
      const m = document.querySelector('#mode') as HTMLElement & { value: string };
      m.value = 'bm25';
      m.dispatchEvent(new Event('change'));
    });
    const msg = await view.waitForPosted<SearchMsg>('search', 2);
    assert.equal(msg.mode, 'bm25');
    assert.equal(msg.query, 'htn');
  });

  it('the patient filter applies on Enter, keeps what was typed and does not append on retyping (p015p015)', async () => {
    await typeQuery('fever');
    await view.waitForPosted<SearchMsg>('search', 1);
    await view.page.click('#filters summary');
    const field = view.page.locator('#f-patients input');
    await field.fill('p015');
    await field.press('Enter');
    const msg = await view.waitForPosted<SearchMsg>('search', 2);
    assert.deepEqual(msg.filters, { patientIds: ['p015'] });
    assert.equal(await field.inputValue(), 'p015');
    await field.fill('p015, p016');
    await field.press('Enter');
    const again = await view.waitForPosted<SearchMsg>('search', 3);
    assert.deepEqual(again.filters, { patientIds: ['p015', 'p016'] });
    assert.deepEqual((await view.state<SearchPanelState>()).filters, { patientIds: ['p015', 'p016'] });
    assert.equal(await view.page.$eval('#filters summary', (e) => e.textContent), 'Filters (1)');
  });

  it('says why searching cannot work yet, and clears it when the index is ready', async () => {
    await view.deliver({ type: 'indexChanged', ready: false, readiness: 'noIndex', message: 'No index yet: build it to search these notes.' });
    await view.page.waitForFunction(() => document.querySelector('#message')?.textContent?.includes('No index yet'));
    await view.page.click('#act-index');
    assert.equal((await view.waitForPosted<{ command: string }>('command')).command, 'index');
    const before = await view.countPosted('patients');
    await view.deliver({ type: 'indexChanged', ready: true, readiness: 'ready' });
    await view.waitForPosted('patients', before + 1);
    assert.equal(await view.page.$eval('#message', (e) => e.textContent), '');
  });

  it('clicking a hit posts open with that hit', async () => {
    await typeQuery('chest');
    const msg = await view.waitForPosted<SearchMsg>('search');
    const h = hit({ chunkId: 'n9::2', noteId: 'n9' });
    await view.deliver({ type: 'searchReply', id: msg.id, ok: true, result: result([h]) });
    await view.page.click('#results li.hit button');
    const open = await view.waitForPosted<{ hit: SearchHit }>('open');
    assert.deepEqual(open.hit, h);
  });

  it('keeps query, mode and results in setState and restores them', async () => {
    await typeQuery('dyspnea');
    const msg = await view.waitForPosted<SearchMsg>('search');
    await view.deliver({ type: 'searchReply', id: msg.id, ok: true, result: result([hit({ noteId: 'kept' })]) });
    await view.page.waitForSelector('#results li.hit');
    const saved = await view.state<SearchPanelState>();
    assert.equal(saved.query, 'dyspnea');
    assert.equal(saved.result?.hits[0]?.noteId, 'kept');

    const again = await view.reopen();
    view = again;
    await again.waitForPosted('ready');
    await again.page.waitForSelector('#results li.hit');
    assert.equal(await again.page.$eval('.hit-note', (e) => e.textContent), 'kept');
    assert.equal(await again.page.$eval('#query', (e) => (e as HTMLElement & { value: string }).value), 'dyspnea');
    assert.equal(await again.countPosted('search'), 0, 'restoring does not search again');
  });

  function patient(id: string, score: number, evidence: SearchHit[]): PatientHit {
    return { patientId: id, score, rank: 0, passages: evidence.length + 2, notes: 1, evidence };
  }
  function patientsResult(ps: PatientHit[], expansions: string[] = []): PatientSearchResult {
    return { patients: ps.map((p, i) => ({ ...p, rank: i + 1 })), aggregate: 'max', expansions, passagesRanked: 40, depthReached: false, tookMs: 9 };
  }

  it('Patients mode: ranks patients, expands one to its passages, and the aggregate re-runs the search', async () => {
    await typeQuery('dyspnea');
    await view.waitForPosted<SearchMsg>('search', 1);
    await view.page.click('#view-patients');
    const msg = await view.waitForPosted<SearchMsg>('search', 2);
    assert.equal(msg.view, 'patients');
    assert.equal(msg.aggregate, 'max');
    const ev = [hit({ patientId: 'p002', chunkId: 'a::1', noteId: 'a', snippet: 'worse dyspnea on exertion', highlights: [{ start: 6, end: 13 }] }), hit({ patientId: 'p002', chunkId: 'a::2', noteId: 'a2' })];
    await view.deliver({ type: 'searchReply', id: msg.id, ok: true, patients: patientsResult([patient('p002', 0.04, ev), patient('p001', 0.02, [hit()])]) });
    await view.page.waitForSelector('#results li.patient >> nth=1');
    const heads = await view.page.$$eval('.patient-head', (es) => es.map((e) => [e.querySelector('.hit-patient')?.textContent, e.querySelector('.hit-score')?.textContent, e.getAttribute('aria-expanded')]));
    assert.deepEqual(heads, [['p002', '100', 'false'], ['p001', '50', 'false']]);
    assert.equal(await view.page.$eval('#view-patients', (e) => e.getAttribute('aria-pressed')), 'true');
    await view.page.click('li.patient[data-patient="p002"] .patient-head');
    await view.page.waitForSelector('li.patient[data-patient="p002"] .evidence li.hit >> nth=1');
    assert.deepEqual(await view.page.$$eval('li.patient[data-patient="p002"] .evidence .hit-note', (es) => es.map((e) => e.textContent)), ['a', 'a2']);
    assert.deepEqual(await view.page.$$eval('li.patient[data-patient="p002"] .evidence li.hit:first-child mark', (es) => es.map((e) => e.textContent)), ['dyspnea']);
    assert.deepEqual((await view.state<SearchPanelState>()).expanded, ['p002']);
    await view.page.click('li.patient[data-patient="p002"] .evidence li.hit:nth-child(2) .hit-open');
    assert.equal((await view.waitForPosted<{ hit: SearchHit }>('open')).hit.chunkId, 'a::2');
    await view.page.evaluate(() => {
      const a = document.querySelector('#aggregate') as HTMLElement & { value: string };
      a.value = 'topk';
      a.dispatchEvent(new Event('change'));
    });
    assert.equal((await view.waitForPosted<SearchMsg>('search', 3)).aggregate, 'topk');
  });

  it('expansion chips toggle: a switched-off chip re-runs the search without it, and back', async () => {
    await typeQuery('hypertension');
    const a = await view.waitForPosted<SearchMsg>('search', 1);
    await view.deliver({ type: 'searchReply', id: a.id, ok: true, result: result([hit({ matchedExpansions: ['htn'] })], ['htn', 'high blood pressure']) });
    await view.page.waitForSelector('#chips .chip >> nth=1');
    assert.equal(await view.page.$eval('.hit-via', (e) => e.textContent), 'via htn');
    await view.page.click('#chips .chip:text-is("htn")');
    const b = await view.waitForPosted<SearchMsg>('search', 2);
    assert.deepEqual(b.disabledExpansions, ['htn']);
    await view.deliver({ type: 'searchReply', id: b.id, ok: true, result: { ...result([hit()], ['htn', 'high blood pressure']), disabledExpansions: ['htn'] } });
    await view.page.waitForFunction(() => document.querySelector('#chips .chip')?.getAttribute('aria-pressed') === 'false');
    await view.page.click('#chips .chip:text-is("htn")');
    const c = await view.waitForPosted<SearchMsg>('search', 3);
    assert.equal(c.disabledExpansions, undefined);
  });

  it('filters: note types, dates and folders combine into one search; Clear filters removes them', async () => {
    await typeQuery('cough');
    await view.waitForPosted<SearchMsg>('search', 1);
    await view.page.click('#filters summary');
    await view.page.locator('#f-types input').fill('discharge summary, radiology');
    await view.page.locator('#f-types input').press('Enter');
    await view.waitForPosted<SearchMsg>('search', 2);
    await view.page.fill('#f-from', '2031-01-01');
    await view.waitForPosted<SearchMsg>('search', 3);
    await view.page.fill('#f-to', '2031-06-30');
    await view.waitForPosted<SearchMsg>('search', 4);
    await view.page.locator('#f-folders input').fill("notes/o'brien");
    await view.page.locator('#f-folders input').press('Enter');
    const msg = await view.waitForPosted<SearchMsg>('search', 5);
    assert.deepEqual(msg.filters, { noteTypes: ['discharge summary', 'radiology'], folders: ["notes/o'brien"], dateFrom: '2031-01-01', dateTo: '2031-06-30' });
    await view.deliver({ type: 'searchReply', id: msg.id, ok: true, result: result([]) });
    await view.page.waitForSelector('#act-clear');
    assert.equal(await view.page.$eval('#message', (e) => e.textContent), 'No passages found.');
    await view.page.click('#act-clear');
    const cleared = await view.waitForPosted<SearchMsg>('search', 6);
    assert.equal(cleared.filters, undefined);
  });

  it('no results suggest hybrid and switching the expansions back on', async () => {
    await view.page.evaluate(() => {
      const m = document.querySelector('#mode') as HTMLElement & { value: string };
      m.value = 'bm25';
      m.dispatchEvent(new Event('change'));
    });
    await typeQuery('xyzzy');
    const msg = await view.waitForPosted<SearchMsg>('search');
    assert.equal(msg.mode, 'bm25');
    await view.deliver({ type: 'searchReply', id: msg.id, ok: true, result: result([]) });
    await view.page.click('#act-hybrid');
    const again = await view.waitForPosted<SearchMsg>('search', 2);
    assert.equal(again.mode, 'hybrid');
  });

  it('no results offer the spelling suggestion as a button that runs the corrected query', async () => {
    await typeQuery('pnuemonia <b>x</b>');
    const msg = await view.waitForPosted<SearchMsg>('search');
    const suggestion = { query: 'pneumonia <b>x</b>', corrections: [{ from: 'pnuemonia', to: 'pneumonia' }] };
    await view.deliver({ type: 'searchReply', id: msg.id, ok: true, result: { ...result([]), suggestion } });
    await view.page.waitForSelector('#suggestion-run');
    assert.equal(await view.page.$eval('#suggestion', (e) => e.textContent), 'Did you mean pneumonia <b>x</b>?');
    assert.equal(await view.page.$$eval('#suggestion b', (e) => e.length), 0, 'the query is text, never HTML');
    await view.page.click('#suggestion-run');
    const again = await view.waitForPosted<SearchMsg>('search', 2);
    assert.equal(again.query, 'pneumonia <b>x</b>');
    assert.equal(await view.page.locator('#query input').inputValue(), 'pneumonia <b>x</b>');
    await view.deliver({ type: 'searchReply', id: again.id, ok: true, result: result([hit()]) });
    await view.page.waitForSelector('#suggestion', { state: 'hidden' });
  });

  it('keyboard: Down from the query reaches the results, Up/Down move, Enter opens, Right expands a patient', async () => {
    await typeQuery('pain');
    const msg = await view.waitForPosted<SearchMsg>('search');
    await view.deliver({ type: 'searchReply', id: msg.id, ok: true, result: result([hit({ chunkId: 'k::0' }), hit({ chunkId: 'k::1' }), hit({ chunkId: 'k::2' })]) });
    await view.page.waitForSelector('#results li.hit >> nth=2');
    await view.page.locator('#query input').press('ArrowDown');
    await view.page.keyboard.press('ArrowDown');
    await view.page.keyboard.press('ArrowDown');
    await view.page.keyboard.press('ArrowUp');
    await view.page.keyboard.press('Enter');
    assert.equal((await view.waitForPosted<{ hit: SearchHit }>('open')).hit.chunkId, 'k::1');
    await view.page.keyboard.press('Escape');
    assert.equal(await view.page.evaluate(() => document.activeElement?.id), 'query');

    await view.page.click('#view-patients');
    const p = await view.waitForPosted<SearchMsg>('search', 2);
    await view.deliver({ type: 'searchReply', id: p.id, ok: true, patients: patientsResult([patient('p009', 1, [hit({ patientId: 'p009', chunkId: 'e::0' })])]) });
    await view.page.waitForSelector('li.patient');
    await view.page.locator('#query input').press('ArrowDown');
    await view.page.keyboard.press('ArrowRight');
    await view.page.waitForSelector('li.patient .evidence li.hit');
    await view.page.keyboard.press('ArrowDown');
    await view.page.keyboard.press('Enter');
    assert.equal((await view.waitForPosted<{ hit: SearchHit }>('open', 2)).hit.chunkId, 'e::0');
  });

  it('keeps a query history shown under an empty query; a recent query runs again', async () => {
    await typeQuery('orthopnea');
    const msg = await view.waitForPosted<SearchMsg>('search');
    await view.deliver({ type: 'searchReply', id: msg.id, ok: true, result: result([hit()]) });
    await view.page.waitForSelector('#results li.hit');
    await typeQuery('');
    await view.page.waitForSelector('#history .recent');
    await view.page.click('#history .recent:text-is("orthopnea")');
    const again = await view.waitForPosted<SearchMsg>('search', 2);
    assert.equal(again.query, 'orthopnea');
    assert.deepEqual((await view.state<SearchPanelState>()).history, ['orthopnea']);
  });

  it('sidecar down: the reason and a restart button; indexing: partial results are marked', async () => {
    await view.deliver({ type: 'indexChanged', ready: false, readiness: 'down', message: 'The search engine (sidecar) is down: exited with code 1' });
    await view.page.waitForFunction(() => document.querySelector('#message')?.textContent?.includes('exited with code 1'));
    await view.page.click('#act-restart');
    assert.equal((await view.waitForPosted<{ command: string }>('command')).command, 'restart');
    await view.deliver({ type: 'indexChanged', ready: true, readiness: 'indexing', message: 'Indexing: results cover the notes indexed so far.' });
    await typeQuery('fever');
    const msg = await view.waitForPosted<SearchMsg>('search');
    await view.deliver({ type: 'searchReply', id: msg.id, ok: true, result: result([hit()]), partial: true });
    await view.page.waitForSelector('#partial:not([hidden])');
  });

  it('export and Find Similar post their requests; Search for Selection fills the query and runs it', async () => {
    await view.deliver({ type: 'runQuery', query: 'atrial fibrillation' });
    const msg = await view.waitForPosted<SearchMsg>('search');
    assert.equal(msg.query, 'atrial fibrillation');
    assert.equal(await view.page.$eval('#query', (e) => (e as HTMLElement & { value: string }).value), 'atrial fibrillation');
    await view.deliver({ type: 'searchReply', id: msg.id, ok: true, result: result([hit({ chunkId: 's::3' })]) });
    await view.page.waitForSelector('#export:not([hidden])');
    await view.page.click('#export-csv');
    assert.equal((await view.waitForPosted<{ format: string }>('export')).format, 'csv');
    await view.page.click('#export-patients');
    assert.equal((await view.waitForPosted<{ format: string }>('export', 2)).format, 'patientList');
    await view.deliver({ type: 'exported', ok: true, message: 'Saved 1 patient to patient-list.csv.' });
    await view.page.waitForFunction(() => document.querySelector('#message')?.textContent?.includes('Saved 1 patient'));
    await view.page.hover('#results li.hit');
    await view.page.click('#results li.hit .hit-similar');
    const sim = await view.waitForPosted<{ id: number; hit: SearchHit }>('similar');
    assert.equal(sim.hit.chunkId, 's::3');
    await view.deliver({ type: 'searchReply', id: sim.id, ok: true, result: result([hit({ chunkId: 'o::1', noteId: 'other' })]), similarTo: 'n1' });
    await view.page.waitForFunction(() => document.querySelector('#message')?.textContent?.includes('passages like the one in n1'));
  });

  it('term bundles: lists them (a broken one with its problem), runs one with any/every, edits and creates', async () => {
    await typeQuery('heart failure');
    await view.waitForPosted<SearchMsg>('search');
    await view.page.click('#bundles summary');
    const req = await view.waitForPosted<{ id: number }>('bundles');
    await view.deliver({
      type: 'bundlesReply',
      id: req.id,
      bundles: [
        { file: 'broken.json', error: '.drehr/bundles/broken.json: "queries" must be a list of strings.' },
        { file: 'hf.json', name: 'Heart failure', queries: ['heart failure', 'CHF'], match: 'any' },
      ],
    });
    await view.page.waitForSelector('li.bundle[data-file="hf.json"] .bundle-run');
    assert.match(await view.page.$eval('li.bundle[data-file="broken.json"] .bundle-error', (e) => e.textContent ?? ''), /"queries" must be a list/);
    assert.equal(await view.page.$$eval('li.bundle[data-file="broken.json"] .bundle-run', (es) => es.length), 0);
    await view.page.click('#bundle-all');
    await view.page.click('li.bundle[data-file="hf.json"] .bundle-run');
    const run = await view.waitForPosted<{ id: number; file: string; match: string; mode: string }>('runBundle');
    assert.deepEqual([run.file, run.match, run.mode], ['hf.json', 'all', 'hybrid']);
    await view.deliver({
      type: 'searchReply',
      id: run.id,
      ok: true,
      bundle: 'Heart failure',
      patients: { ...patientsResult([{ ...patient('p004', 0.03, [hit({ patientId: 'p004' })]), matchedQueries: ['heart failure', 'CHF'] }]), expansions: ['cardiac failure', 'chf'] },
    });
    await view.page.waitForSelector('li.patient[data-patient="p004"]');
    assert.equal(await view.page.$eval('.patient-queries', (e) => e.textContent), 'found by: heart failure · CHF');
    assert.match(await view.page.$eval('#bundle-banner', (e) => e.textContent ?? ''), /Bundle "Heart failure": patients found by every query of it \(also searched 2 expansions of its queries\)/);
    assert.equal(await view.page.$$eval('#chips .chip', (es) => es.length), 0, 'no chips for a bundle: each chip belongs to one query');
    await view.page.click('li.bundle[data-file="hf.json"] .bundle-edit');
    assert.equal((await view.waitForPosted<{ file: string }>('editBundle')).file, 'hf.json');
    await view.page.click('#bundle-new');
    assert.equal((await view.waitForPosted<{ query: string }>('newBundle')).query, 'heart failure');
  });
});
