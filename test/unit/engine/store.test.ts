import * as assert from 'node:assert/strict';
import { annParams, annSearchParams } from '../../../src/sidecar/store/ann';
import { equals, inList, searchFilter, sourceFilters, sqlString, underFolder } from '../../../src/sidecar/store/filters';
import { HYBRID_FUSION, fuse, fusionLabel, parseFusion, reciprocalRankFusion } from '../../../src/sidecar/store/rrf';
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

  describe('weighted and score-normalized fusion', () => {
    type S = { id: string; s: number };
    const dense: S[] = [{ id: 'a', s: 0.9 }, { id: 'b', s: 0.8 }, { id: 'c', s: 0.1 }];
    const bm25: S[] = [{ id: 'c', s: 12 }, { id: 'd', s: 11 }, { id: 'a', s: 2 }];
    const run = (spec: Parameters<typeof fuse>[3]) => fuse<S>([dense, bm25], (x) => x.id, (x) => x.s, spec);

    it('weighted RRF: w_i / (k + rank), by hand', () => {
      const f = run({ kind: 'rrf', k: 1, weights: [3, 1] });
      const byId = Object.fromEntries(f.map((x) => [x.item.id, x.score]));
      assert.ok(Math.abs(byId.a - (3 / 2 + 1 / 4)) < 1e-12);
      assert.ok(Math.abs(byId.c - (3 / 4 + 1 / 2)) < 1e-12);
      assert.ok(Math.abs(byId.d - 1 / 3) < 1e-12);
      assert.deepEqual(f.map((x) => x.item.id), ['a', 'c', 'b', 'd']);
      // equal weights are plain RRF
      assert.deepEqual(run({ kind: 'rrf', k: 60, weights: [1, 1] }).map((x) => x.item.id), reciprocalRankFusion([dense, bm25], (x) => x.id).map((x) => x.item.id));
    });

    it('min-max: each list scaled to [0, 1], a missing item counts 0', () => {
      const f = run({ kind: 'minmax', weights: [0.5, 0.5] });
      const byId = Object.fromEntries(f.map((x) => [x.item.id, x.score]));
      // dense: a 1, b 0.875, c 0; bm25: c 1, d 0.9, a 0
      assert.ok(Math.abs(byId.a - 0.5) < 1e-12);
      assert.ok(Math.abs(byId.b - 0.4375) < 1e-12);
      assert.ok(Math.abs(byId.c - 0.5) < 1e-12);
      assert.ok(Math.abs(byId.d - 0.45) < 1e-12);
      assert.deepEqual(f.map((x) => x.item.id), ['a', 'c', 'd', 'b']);
    });

    it('z-score: a missing item counts the list minimum; a list of equal scores adds nothing', () => {
      const f = fuse<S>([[{ id: 'x', s: 1 }, { id: 'y', s: 1 }], [{ id: 'y', s: 5 }, { id: 'z', s: 1 }]], (x) => x.id, (x) => x.s, { kind: 'zscore', weights: [1, 1] });
      const byId = Object.fromEntries(f.map((x) => [x.item.id, x.score]));
      assert.equal(byId.y, 1);
      assert.equal(byId.z, -1);
      assert.equal(byId.x, -1, 'x: 0 from the flat list, the second list floor -1');
    });

    it('parses specs and labels them; refuses nonsense', () => {
      assert.deepEqual(parseFusion('rrf'), HYBRID_FUSION);
      assert.deepEqual(parseFusion('rrf:k=20,w=0.75'), { kind: 'rrf', k: 20, weights: [0.75, 0.25] });
      assert.deepEqual(parseFusion('minmax:w=0.4'), { kind: 'minmax', weights: [0.4, 0.6] });
      assert.equal(fusionLabel(parseFusion('rrf:k=20,w=0.75')), 'rrf k=20 w=0.75');
      assert.equal(fusionLabel(parseFusion('zscore')), 'zscore');
      for (const bad of ['rank', 'rrf:k=x', 'minmax:k=3', 'rrf:w=2', 'rrf:q=1']) assert.throws(() => parseFusion(bad), /fusion/, bad);
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
    it('re-ranks 10x a short list and fewer candidates per hit for a deep one, never under 2x', () => {
      assert.equal(annSearchParams(1000, 10).refineFactor, 10);
      assert.equal(annSearchParams(1000, 100).refineFactor, 10);
      assert.equal(annSearchParams(1000, 200).refineFactor, 5);
      assert.equal(annSearchParams(1000, 1000).refineFactor, 2);
      assert.equal(annSearchParams(1000, 5000).refineFactor, 2);
      assert.equal(annSearchParams(1000, 0).refineFactor, 10);
    });
  });
});
