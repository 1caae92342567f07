import * as assert from 'node:assert/strict';
import { mapChunkRange, resolveSourcePath } from '../../../src/views/hitRange';

describe('hit → editor range', () => {
  const text = '---\npatient_id: p1\n---\nThe patient denies chest pain.\nPlan: follow up.';
  const start = text.indexOf('The');
  const end = text.indexOf('pain.') + 'pain.'.length;

  it('keeps an exact range', () => {
    assert.deepEqual(mapChunkRange(text, start, end), { start, end, exact: true });
  });

  it('shifts by one when the editor dropped a byte-order mark', () => {
    // The sidecar counted the BOM, the editor's text has none: its offsets are one too high.
    assert.deepEqual(mapChunkRange(text, start + 1, end + 1), { start, end, exact: true });
  });

  it('works with CRLF line ends (offsets count the \\r)', () => {
    const crlf = 'Line one here.\r\nSecond line words.';
    const s = crlf.indexOf('Second');
    assert.deepEqual(mapChunkRange(crlf, s, crlf.length), { start: s, end: crlf.length, exact: true });
  });

  it('clamps a range past the end of a changed file and says it is inexact', () => {
    const r = mapChunkRange('short text', 5, 400);
    assert.equal(r.exact, false);
    assert.equal(r.end, 10);
    assert.ok(r.start <= r.end);
    const neg = mapChunkRange('abc', -5, -1);
    assert.deepEqual(neg, { start: 0, end: 0, exact: false });
  });

  it('a range that splits words is inexact but kept', () => {
    const r = mapChunkRange(text, start + 2, end - 2);
    assert.equal(r.exact, false);
    assert.equal(r.start, start + 2);
  });
});

describe('hit source paths', () => {
  it('resolves workspace-relative paths inside the folder', () => {
    assert.equal(resolveSourcePath('/ws', 'p001/a.md'), '/ws/p001/a.md');
    assert.equal(resolveSourcePath('/ws/', './p001//a.md'), '/ws/p001/a.md');
    assert.equal(resolveSourcePath('C:\\ws', 'p001\\a.md', '\\'), 'C:\\ws\\p001\\a.md');
  });
  it('refuses paths that leave the folder or are absolute', () => {
    for (const p of ['../etc/passwd', 'a/../../b', '/etc/passwd', 'C:/x', 'c:\\x', '', '.']) {
      assert.equal(resolveSourcePath('/ws', p), undefined, p);
    }
  });
});
