import * as assert from 'node:assert/strict';
import { bundleFileName, bundleJson, combineBundle, parseBundle } from '../../../src/shared/bundles';
import type { PatientHit, PatientSearchResult, SearchHit } from '../../../src/shared/protocol';

const F = '.drehr/bundles/hf.json';

describe('term bundles', () => {
  it('parses a bundle, defaults match to any, trims and dedupes queries', () => {
    const r = parseBundle('\uFEFF{"name":" Heart failure ","queries":["heart failure"," CHF","CHF"],"mode":"bm25"}', F);
    assert.ok(r.ok);
    assert.deepEqual(r.bundle, { name: 'Heart failure', queries: ['heart failure', 'CHF'], match: 'any', mode: 'bm25' });
    assert.deepEqual(r.warnings, [`${F}: repeated queries are searched once.`]);
    assert.deepEqual(parseBundle(bundleJson(r.bundle), F), { ok: true, bundle: r.bundle, warnings: [] });
  });
  it('says what is wrong, field by field', () => {
    const bad = (text: string): string[] => {
      const r = parseBundle(text, F);
      assert.ok(!r.ok, text);
      return r.errors;
    };
    assert.match(bad('{"name": "x", "queries": [')[0], /is not valid JSON .*A bundle looks like/);
    assert.deepEqual(bad('[]'), [`${F} must hold one JSON object with "name" and "queries".`]);
    assert.deepEqual(bad('{"queries": ["a"]}'), [`${F}: "name" must be a non-empty string.`]);
    assert.deepEqual(bad('{"name": "x", "queries": "chf"}'), [`${F}: "queries" must be a list of strings, e.g. ["heart failure", "CHF"].`]);
    assert.deepEqual(bad('{"name": "x", "queries": []}'), [`${F}: "queries" is empty; add at least one query.`]);
    assert.deepEqual(bad('{"name": "x", "queries": ["a", 3, " "], "match": "some", "mode": "fast"}'), [
      `${F}: queries[1] must be a string.`,
      `${F}: queries[2] is empty.`,
      `${F}: "match" must be "any" or "all".`,
      `${F}: "mode" must be "hybrid", "dense" or "bm25".`,
    ]);
    assert.match(bad(JSON.stringify({ name: 'x', queries: Array.from({ length: 51 }, (_, i) => `q${i}`) }))[0], /51 queries; at most 50/);
    const extra = parseBundle('{"name": "x", "queries": ["a"], "owner": "me"}', F);
    assert.ok(extra.ok && extra.warnings[0].includes('"owner" is not a bundle field'));
  });
  it('makes safe file names', () => {
    assert.equal(bundleFileName('Heart failure (HFrEF)'), 'heart-failure-hfref.json');
    assert.equal(bundleFileName('../../etc/passwd'), 'etc-passwd.json');
    assert.equal(bundleFileName('Ödem'), 'odem.json');
    assert.equal(bundleFileName('***'), 'bundle.json');
  });

  describe('combining the queries', () => {
    const h = (patientId: string, chunkId: string): SearchHit => ({ chunkId, noteId: chunkId.split('::')[0], patientId, sourcePath: 'a.md', charStart: 0, charEnd: 1, score: 1, matchedBy: ['bm25'], snippet: '', highlights: [] });
    const p = (patientId: string, rank: number, ...chunks: string[]): PatientHit => ({ patientId, score: 1 / rank, rank, passages: chunks.length, notes: 1, evidence: chunks.map((c) => h(patientId, c)) });
    const res = (expansions: string[], ...ps: PatientHit[]): PatientSearchResult => ({ patients: ps, aggregate: 'max', expansions, passagesRanked: 10, depthReached: false, tookMs: 5 });
    const runs = [
      { query: 'heart failure', result: res(['chf'], p('A', 1, 'a::0'), p('B', 2, 'b::0')) },
      { query: 'ejection fraction', result: res([], p('B', 1, 'b::1', 'b::0'), p('C', 2, 'c::0')) },
    ];
    it('any: every patient a query found, ranked by the sum of reciprocal ranks, evidence from each query', () => {
      const r = combineBundle('HF', runs, 'any');
      assert.equal(r.bundle, 'HF');
      assert.deepEqual(r.patients.map((x) => x.patientId), ['B', 'A', 'C']);
      assert.ok(Math.abs(r.patients[0].score - (1 / 62 + 1 / 61)) < 1e-12);
      assert.deepEqual(r.patients[0].matchedQueries, ['heart failure', 'ejection fraction']);
      assert.deepEqual(r.patients[0].evidence.map((e) => e.chunkId), ['b::1', 'b::0']);
      assert.deepEqual(r.patients.map((x) => x.rank), [1, 2, 3]);
      assert.deepEqual(r.expansions, ['chf']);
      assert.equal(r.tookMs, 10);
    });
    it('all: only patients every query found', () => {
      assert.deepEqual(combineBundle('HF', runs, 'all').patients.map((x) => x.patientId), ['B']);
      assert.deepEqual(combineBundle('HF', [], 'all').patients, []);
    });
  });
});
