import * as assert from 'node:assert/strict';
import { annParams, annSearchParams } from '../../../src/sidecar/store/ann';
import { equals, inList, searchFilter, sourceFilters, sqlString, underFolder } from '../../../src/sidecar/store/filters';
import { reciprocalRankFusion } from '../../../src/sidecar/store/rrf';
import { highlightRanges, makeSnippet, queryTerms } from '../../../src/sidecar/store/snippet';

describe('store logic', () => {
  describe('filters', () => {
    it('escapes quotes in string literals', () => {
      assert.equal(sqlString("O'Brien"), "'O''Brien'");
      assert.equal(equals('patient_id', "p'; DROP"), "patient_id = 'p''; DROP'");
      assert.equal(inList('source', ['a', "b'c"]), "source IN ('a', 'b''c')");
    });
    it('combines patient and note filters', () => {
      assert.equal(searchFilter(), undefined);
      assert.equal(searchFilter('p1'), "patient_id = 'p1'");
      assert.equal(searchFilter('p1', 'n1'), "patient_id = 'p1' AND note_id = 'n1'");
    });
    it('splits long source lists', () => {
      const f = sourceFilters(['a', 'b', 'c'], 2);
      assert.deepEqual(f, ["source IN ('a', 'b')", "source IN ('c')"]);
    });
    it('escapes LIKE wildcards in folder filters', () => {
      assert.equal(underFolder('p_1%'), "source LIKE 'p\\_1\\%/%' ESCAPE '\\'");
    });
  });

  describe('reciprocal rank fusion', () => {
    it('sums 1/(k+rank) over lists and records where items came from', () => {
      const fused = reciprocalRankFusion([['a', 'b', 'c'], ['c', 'a']], (x) => x, 60);
      assert.deepEqual(
        fused.map((f) => f.item),
        ['a', 'c', 'b'],
      );
      assert.ok(Math.abs(fused[0].score - (1 / 61 + 1 / 62)) < 1e-12);
      assert.deepEqual(fused[1].from, [0, 1]);
      assert.deepEqual(fused[2].from, [0]);
    });
    it('counts an item once per list', () => {
      const fused = reciprocalRankFusion([['a', 'a']], (x) => x, 60);
      assert.equal(fused.length, 1);
      assert.ok(Math.abs(fused[0].score - 1 / 61) < 1e-12);
    });
    it('handles empty lists', () => {
      assert.deepEqual(reciprocalRankFusion([[], []], (x: string) => x), []);
    });
  });

  describe('snippets', () => {
    it('takes query terms without stop words', () => {
      assert.deepEqual(queryTerms('History of HTN, and CHF!'), ['history', 'htn', 'chf']);
    });
    it('highlights whole words and prefixes of 4+ letters', () => {
      const t = 'HTN and hypertensive crisis; no htnx';
      const h = highlightRanges(t, ['htn', 'hypertens']);
      assert.deepEqual(
        h.map((r) => t.slice(r.start, r.end)),
        ['HTN', 'hypertensive'],
      );
    });
    it('returns short text whole', () => {
      const s = makeSnippet('Chest pain today.', ['pain']);
      assert.equal(s.snippet, 'Chest pain today.');
      assert.deepEqual(s.highlights, [{ start: 6, end: 10 }]);
    });
    it('cuts long text around the first hit with ranges into the snippet', () => {
      const text = `${'filler '.repeat(80)}the patient reports gout flares ${'tail '.repeat(80)}`;
      const s = makeSnippet(text, ['gout'], 120);
      assert.ok(s.snippet.length <= 125);
      assert.ok(s.snippet.startsWith('… ') && s.snippet.endsWith(' …'));
      assert.equal(s.highlights.length, 1);
      assert.equal(s.snippet.slice(s.highlights[0].start, s.highlights[0].end), 'gout');
    });
  });

  describe('ANN parameters', () => {
    it('uses about sqrt(n) partitions and dim/4 sub-vectors', () => {
      assert.deepEqual(annParams(1_000_000, 256), { numPartitions: 1000, numSubVectors: 64 });
      assert.deepEqual(annParams(20_000, 384), { numPartitions: 141, numSubVectors: 96 });
    });
    it('falls back to a divisor of the dim', () => {
      assert.equal(annParams(100, 30).numSubVectors, 15);
      assert.equal(annParams(100, 7).numSubVectors, 1);
    });
    it('probes at least 20 partitions and refines', () => {
      assert.deepEqual(annSearchParams(1000), { nprobes: 50, refineFactor: 10 });
      assert.deepEqual(annSearchParams(10), { nprobes: 10, refineFactor: 10 });
    });
  });
});
