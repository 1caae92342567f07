import * as assert from 'node:assert/strict';
import { noteIdFromQuery, noteUriParts } from '../../../src/views/noteUri';

describe('drehr-note URIs', () => {
  it('round-trips any note id through the query', () => {
    for (const id of ['virtassist-d2n128', 'exports/aci_notes.csv#12', 'a b/c?d=e&f#g%h', 'ünïcödé/ノート']) {
      const parts = noteUriParts(id, 'p128');
      assert.equal(noteIdFromQuery(parts.query), id);
      assert.ok(parts.path.startsWith('/p128/'));
      assert.ok(parts.path.endsWith('.txt'));
      assert.equal(parts.path.split('/').length, 3, 'no extra path segments from the id');
    }
  });

  it('makes a readable, safe path', () => {
    assert.equal(noteUriParts('exports/a.csv#3', '').path, '/_/exports_a.csv_3.txt');
    assert.ok(noteUriParts('x'.repeat(500), 'p').path.length < 140);
  });

  it('returns undefined for a query without a note', () => {
    assert.equal(noteIdFromQuery(''), undefined);
    assert.equal(noteIdFromQuery('note='), undefined);
    assert.equal(noteIdFromQuery('other=1'), undefined);
  });
});
