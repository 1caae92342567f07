import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUNDLE_QUERY_DEPTH, bundleFileName, bundleJson, combineBundle, parseBundle, runBundle } from '../../../src/shared/bundles';
import { findBundle, listBundleFiles } from '../../../src/shared/bundleFiles';
import type { PatientHit, PatientSearchParams, PatientSearchResult, SearchHit } from '../../../src/shared/protocol';

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

  describe('running a bundle (the panel and the CLI share runBundle)', () => {
    const h = (patientId: string, chunkId: string): SearchHit => ({ chunkId, noteId: chunkId.split('::')[0], patientId, sourcePath: 'a.md', charStart: 0, charEnd: 1, score: 1, matchedBy: ['bm25'], snippet: '', highlights: [] });
    const found: Record<string, string[]> = { 'heart failure': ['A', 'B'], CHF: ['B', 'C'] };
    const asked: PatientSearchParams[] = [];
    const search = async (p: PatientSearchParams): Promise<PatientSearchResult> => {
      asked.push(p);
      const ids = found[p.query] ?? [];
      return { patients: ids.map((id, i) => ({ patientId: id, score: 1, rank: i + 1, passages: 1, notes: 1, evidence: [h(id, `${id}-${p.query}::0`)] })), aggregate: p.aggregate ?? 'max', expansions: [], passagesRanked: ids.length, depthReached: false, tookMs: 1 };
    };
    beforeEach(() => (asked.length = 0));
    it('searches each query deep, with the filters, the mode the bundle names (else the caller\'s), and combines them', async () => {
      const b = { name: 'HF', queries: ['heart failure', 'CHF'], match: 'any' as const, mode: 'bm25' as const };
      const any = await runBundle(b, { mode: 'hybrid', match: 'any', filters: { noteTypes: ['discharge'] }, expand: false }, search);
      assert.deepEqual(any.patients.map((p) => p.patientId), ['B', 'A', 'C']);
      assert.deepEqual(asked.map((p) => [p.query, p.k, p.mode, p.filters?.noteTypes, p.expand]), [
        ['heart failure', BUNDLE_QUERY_DEPTH, 'bm25', ['discharge'], false],
        ['CHF', BUNDLE_QUERY_DEPTH, 'bm25', ['discharge'], false],
      ]);
      const all = await runBundle({ ...b, mode: undefined }, { mode: 'dense', match: 'all', aggregate: 'rrf' }, search);
      assert.deepEqual(all.patients.map((p) => p.patientId), ['B']);
      assert.equal(asked[2].mode, 'dense');
      assert.equal(asked[2].aggregate, 'rrf');
      assert.equal(all.bundle, 'HF');
    });
  });

  describe('bundle files', () => {
    let root: string;
    let dir: string;
    before(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-bundles-'));
      dir = path.join(root, '.drehr', 'bundles');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'heart-failure.json'), bundleJson({ name: 'Heart failure', queries: ['heart failure', 'CHF'], match: 'all' }));
      fs.writeFileSync(path.join(dir, 'broken.json'), '{"name": "Broken", "queries": []}');
      fs.writeFileSync(path.join(dir, 'twin-a.json'), bundleJson({ name: 'Twin', queries: ['a'], match: 'any' }));
      fs.writeFileSync(path.join(dir, 'twin-b.json'), bundleJson({ name: 'Twin', queries: ['b'], match: 'any' }));
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a bundle');
      fs.writeFileSync(path.join(root, 'elsewhere.json'), bundleJson({ name: 'Elsewhere', queries: ['x'], match: 'any' }));
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it('lists the .json files, a broken one with its problem', () => {
      const list = listBundleFiles(root);
      assert.deepEqual(list.map((b) => b.file), ['broken.json', 'heart-failure.json', 'twin-a.json', 'twin-b.json']);
      assert.match(list[0].error ?? '', /"queries" is empty/);
      assert.deepEqual(list[1], { file: 'heart-failure.json', name: 'Heart failure', queries: ['heart failure', 'CHF'], match: 'all' });
      assert.deepEqual(listBundleFiles(path.join(root, 'nowhere')), []);
    });

    it('finds a bundle by file name, by its name (case ignored), or by a path; says what exists otherwise', () => {
      for (const ref of ['heart-failure', 'heart-failure.json', 'HEART FAILURE', 'Heart failure']) {
        const r = findBundle(root, ref);
        assert.ok(r.ok, ref);
        assert.equal(r.bundle.name, 'Heart failure');
      }
      const byPath = findBundle(root, 'elsewhere.json', root);
      assert.ok(byPath.ok && byPath.bundle.name === 'Elsewhere');
      const twin = findBundle(root, 'twin');
      assert.ok(!twin.ok && /2 bundles are named "twin" \(twin-a.json, twin-b.json\)/.test(twin.error));
      const missing = findBundle(root, 'asthma');
      assert.ok(!missing.ok && /No bundle "asthma".*there: broken, heart-failure, twin-a, twin-b/.test(missing.error), !missing.ok ? missing.error : '');
      const broken = findBundle(root, 'broken');
      assert.ok(!broken.ok && /"queries" is empty/.test(broken.error));
      assert.ok(!findBundle(root, '../elsewhere').ok, 'no way out of the bundles folder by name');
    });
  });
});
