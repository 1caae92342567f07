import * as assert from 'node:assert/strict';
import { buildCsp, webviewHtml } from '../../../src/views/html';
import { isSearchPanelToHost } from '../../../src/shared/webview';
import { normalizeHighlights } from '../../../webview-ui/search/render';

const nonce = 'abcdefghijklmnop0123==';

describe('webview HTML shell and CSP', () => {
  it('allows nothing by default, scripts only with the nonce, styles only from the webview', () => {
    const csp = buildCsp({ cspSource: 'vscode-webview://x', nonce });
    assert.equal(csp, `default-src 'none'; script-src 'nonce-${nonce}'; style-src vscode-webview://x; img-src vscode-webview://x data:;`);
    assert.ok(!csp.includes('unsafe-inline'));
    assert.ok(buildCsp({ cspSource: 's', nonce, inlineStyles: true }).includes(`style-src s 'unsafe-inline'`));
    assert.ok(buildCsp({ cspSource: 's', nonce, fonts: true }).includes('font-src s'));
  });

  it('puts the nonce on every script and escapes URIs and the title', () => {
    const html = webviewHtml({ title: 'a "b" <c>', cspSource: 's', nonce, scripts: ['https://x/a.js?q="1"'], styles: ['https://x/s.css'] });
    assert.ok(html.includes(`<script nonce="${nonce}" src="https://x/a.js?q=&quot;1&quot;"></script>`));
    assert.ok(html.includes('<title>a &quot;b&quot; &lt;c&gt;</title>'));
    assert.ok(html.includes('<link rel="stylesheet" href="https://x/s.css">'));
    assert.equal((html.match(/<script/g) ?? []).length, 1);
  });

  it('refuses a weak nonce', () => {
    assert.throws(() => webviewHtml({ title: 't', cspSource: 's', nonce: 'short', scripts: [] }), /nonce/);
    assert.throws(() => webviewHtml({ title: 't', cspSource: 's', nonce: "abc' 'unsafe-inline", scripts: [] }), /nonce/);
  });
});

describe('search panel messages', () => {
  const hit = { chunkId: 'c', noteId: 'n', patientId: 'p', sourcePath: 'a.md', charStart: 0, charEnd: 5 };
  it('accepts well-formed messages', () => {
    assert.ok(isSearchPanelToHost({ type: 'ready' }));
    assert.ok(isSearchPanelToHost({ type: 'search', id: 1, query: 'x', mode: 'bm25' }));
    assert.ok(isSearchPanelToHost({ type: 'search', id: 2, query: 'x', mode: 'dense', patientId: 'p1' }));
    assert.ok(isSearchPanelToHost({ type: 'patients', id: 3 }));
    assert.ok(isSearchPanelToHost({ type: 'open', hit }));
  });
  it('rejects malformed ones', () => {
    for (const m of [
      null,
      'ready',
      [],
      { type: 'nope' },
      { type: 'search', id: 1, query: 'x', mode: 'fast' },
      { type: 'search', id: '1', query: 'x', mode: 'bm25' },
      { type: 'search', id: 1, query: 5, mode: 'bm25' },
      { type: 'search', id: 1.5, query: 'x', mode: 'bm25' },
      { type: 'search', id: 1, query: 'x', mode: 'bm25', patientId: 7 },
      { type: 'patients' },
      { type: 'open', hit: { ...hit, charStart: '0' } },
      { type: 'open', hit: { ...hit, row: 'x' } },
      { type: 'open' },
    ]) {
      assert.ok(!isSearchPanelToHost(m), JSON.stringify(m));
    }
  });
});

describe('snippet highlights', () => {
  it('sorts, clamps and merges ranges', () => {
    assert.deepEqual(
      normalizeHighlights(
        [
          { start: 10, end: 14 },
          { start: 0, end: 3 },
          { start: 2, end: 5 },
          { start: 12, end: 100 },
          { start: 7, end: 7 },
          { start: -4, end: -1 },
        ],
        20,
      ),
      [
        { start: 0, end: 5 },
        { start: 10, end: 20 },
      ],
    );
    assert.deepEqual(normalizeHighlights([], 5), []);
  });
});
