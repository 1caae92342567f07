/**
 * The search panel bundle in Chromium, under the production CSP, with a stubbed VS Code API: typing posts a
 * Search, results render with <mark> highlights as text (never HTML), stale replies are dropped, a click posts
 * Open, and the state comes back from setState.
 */
import * as assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { SearchHit, SearchResult } from '../../src/shared/protocol';
import type { SearchPanelState } from '../../src/shared/webview';
import { launchBrowser, WebviewPage } from './harness';

interface SearchMsg {
  type: 'search';
  id: number;
  query: string;
  mode: string;
  patientId?: string;
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
    await view.deliver({ type: 'config', mode: 'hybrid', ready: true });
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

  it('asks for patients when the index is ready and lists them', async () => {
    const req = await view.waitForPosted<{ id: number }>('patients');
    await view.deliver({ type: 'patientsReply', id: req.id, ok: true, patients: [{ patientId: 'p001', notes: 3 }, { patientId: 'p002', notes: 1 }] });
    await view.page.waitForFunction(() => document.querySelectorAll('#patient vscode-option').length === 3);
    const labels = await view.page.$$eval('#patient vscode-option', (os) => os.map((o) => o.textContent));
    assert.deepEqual(labels, ['All patients', 'p001 (3)', 'p002 (1)']);
  });

  it('typing posts one debounced search with the query and mode', async () => {
    await typeQuery('chest pain');
    const msg = await view.waitForPosted<SearchMsg>('search');
    assert.equal(msg.query, 'chest pain');
    assert.equal(msg.mode, 'hybrid');
    assert.equal(msg.patientId, undefined);
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
    assert.equal(first.score, '0.812');
    const meta = await view.page.$eval('#results li.hit:nth-child(2) .hit-meta', (e) => e.textContent);
    assert.match(meta ?? '', /exports\/a\.csv row 4/);
    assert.equal(await view.page.$eval('#also', (e) => e.textContent), 'also searched: thoracic pain');
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

  it('the patient filter restricts the search to that patient', async () => {
    const req = await view.waitForPosted<{ id: number }>('patients');
    await view.deliver({ type: 'patientsReply', id: req.id, ok: true, patients: [{ patientId: 'p007', notes: 2 }] });
    await view.page.waitForFunction(() => document.querySelectorAll('#patient vscode-option').length === 2);
    await typeQuery('fever');
    await view.waitForPosted<SearchMsg>('search', 1);
    await view.page.evaluate(() => {
      const p = document.querySelector('#patient') as HTMLElement & { value: string };
      p.value = 'p007';
      p.dispatchEvent(new Event('change'));
    });
    const msg = await view.waitForPosted<SearchMsg>('search', 2);
    assert.equal(msg.patientId, 'p007');
    assert.equal((await view.state<SearchPanelState>()).patientId, 'p007');
  });

  it('says why searching cannot work yet, and clears it when the index is ready', async () => {
    await view.deliver({ type: 'indexChanged', ready: false, message: 'No index yet: run "DR.EHR: Index Workspace".' });
    await view.page.waitForFunction(() => document.querySelector('#message')?.textContent?.includes('No index yet'));
    const before = await view.countPosted('patients');
    await view.deliver({ type: 'indexChanged', ready: true });
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
});
