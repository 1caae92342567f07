import * as assert from 'node:assert/strict';
import type { SearchHit } from '../../../src/shared/protocol';
import { expansionsLine, formatScore, hitItemText, oneLine, resultTitle, suggestionLabel } from '../../../src/commands/searchItems';

const hit: SearchHit = {
  chunkId: 'n1::0',
  noteId: 'virtassist-d2n001',
  patientId: 'p001',
  noteType: 'visit note',
  date: '2031-01-05',
  sourcePath: 'p001/virtassist-d2n001.md',
  charStart: 0,
  charEnd: 10,
  score: 0.51234,
  matchedBy: ['dense', 'bm25'],
  snippet: 'denies\n\n chest   pain',
  highlights: [],
};

describe('quick pick items', () => {
  it('shows patient, note, type/date, score and snippet', () => {
    const t = hitItemText(hit);
    assert.equal(t.label, 'p001 · virtassist-d2n001');
    assert.equal(t.description, 'visit note · 2031-01-05 · score 0.512 · dense+bm25');
    assert.equal(t.detail, 'denies chest pain  — p001/virtassist-d2n001.md');
  });

  it('names the row of a CSV hit and leaves out missing fields', () => {
    const t = hitItemText({ ...hit, row: 7, sourcePath: 'exports/a.csv', noteType: undefined, date: '' });
    assert.equal(t.description, 'score 0.512 · dense+bm25');
    assert.match(t.detail, /exports\/a\.csv row 7$/);
  });

  it('shortens long snippets to one line', () => {
    const s = oneLine('word '.repeat(200), 50);
    assert.equal(s.length, 50);
    assert.ok(s.endsWith('…'));
    assert.ok(!s.includes('\n'));
  });

  it('formats scores of every scale', () => {
    assert.equal(formatScore(0.01639), '0.016');
    assert.equal(formatScore(12.3456), '12.35');
    assert.equal(formatScore(1234.5), '1235');
    assert.equal(formatScore(Number.NaN), '–');
  });

  it('says "also searched" only when the query was expanded', () => {
    assert.equal(expansionsLine({ expansions: [] }), undefined);
    assert.equal(expansionsLine({ expansions: ['hypertension', ' HTN ', 'hypertension'] }), 'also searched: hypertension, HTN');
    assert.match(expansionsLine({ expansions: 'abcdefghij'.split('') }, 3) ?? '', /a, b, c \(\+7\)$/);
    assert.equal(resultTitle({ hits: [hit], expansions: ['htn'], tookMs: 8.4 }, 'in all patients'), '1 passage in all patients (8 ms) — also searched: htn');
    assert.equal(resultTitle({ hits: [], expansions: [], tookMs: 1 }, 'in patient p1'), 'No passages in patient p1 (1 ms)');
  });
  it('a spelling suggestion reads as one line, and a "$(" in the query is not an icon', () => {
    assert.equal(suggestionLabel({ query: 'pneumonia\n with  fever', corrections: [] }), '$(lightbulb) Did you mean: pneumonia with fever');
    assert.equal(suggestionLabel({ query: 'a $(alert) b', corrections: [] }), '$(lightbulb) Did you mean: a $\u200b(alert) b');
  });
});
