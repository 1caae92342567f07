import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BenchmarkError,
  checkAgainstCorpus,
  chunkingMismatch,
  parseBenchMeta,
  parseQrels,
  parseQueries,
  readBenchmark,
  writeBenchmark,
  type BenchMeta,
} from '../../../src/eval/benchmark';
import { readCorpus } from '../../../src/eval/corpus';

const META: BenchMeta = { name: 't', chunking: { words: 100, overlap: 10, minWords: 50 }, chunker: 'drehr-chunker-1' };

describe('eval/benchmark files', () => {
  it('parses queries, reporting malformed, untyped and duplicate lines', () => {
    const text = [
      '{"query_id":"d1","text":"asthma","type":"disease"}',
      'not json',
      '{"query_id":"d2","text":"","type":"disease"}',
      '{"query_id":"x","text":"aspirin","type":"chemical"}',
      '{"_id":"p1","text":"appendectomy","type":"procedure"}',
      '{"query_id":"d1","text":"again","type":"disease"}',
      '',
    ].join('\n');
    const { queries, issues } = parseQueries(text);
    assert.deepEqual([...queries.keys()], ['d1', 'p1']);
    assert.deepEqual(issues.map((i) => [i.kind, i.where]), [
      ['malformed-line', 'queries.jsonl:2'],
      ['malformed-line', 'queries.jsonl:3'],
      ['malformed-line', 'queries.jsonl:4'],
      ['duplicate-query', 'queries.jsonl:6'],
    ]);
  });

  it('parses qrels, reporting unknown queries, bad match types, bad lines and duplicates, keeping the rest', () => {
    const { queries } = parseQueries('{"query_id":"d1","text":"asthma","type":"disease"}\n');
    const text = ['d1\tn1::0\tstring', 'zz\tn1::1\tstring', 'd1\tn1::2\tmaybe', 'd1 n1::3 string', 'd1\tn1::0\tsynonym', 'd1\tn2::0\thyponym\r', ''].join('\n');
    const r = parseQrels(text, queries);
    assert.equal(r.lines, 6);
    assert.deepEqual([...r.qrels.get('d1')!], [['n1::0', 'string'], ['n2::0', 'hyponym']]);
    assert.deepEqual(r.issues.map((i) => i.kind), ['unknown-query', 'bad-match-type', 'malformed-line', 'duplicate-qrel']);
  });

  it('drops qrels naming unknown chunks and reports queries left without a relevant chunk', () => {
    const { queries } = parseQueries('{"query_id":"a","text":"x","type":"drug"}\n{"query_id":"b","text":"y","type":"drug"}\n');
    const { qrels } = parseQrels('a\tn::0\tstring\na\tn::9\tstring\nb\tgone::0\tsynonym\n', queries);
    const issues = checkAgainstCorpus(qrels, queries, new Set(['n::0', 'n::1']));
    assert.deepEqual([...qrels.get('a')!.keys()], ['n::0']);
    assert.deepEqual(issues.map((i) => i.kind), ['unknown-chunk', 'unknown-chunk', 'query-without-relevant']);
    assert.match(issues[2].message, /query b has no relevant chunk/);
  });

  it('refuses a benchmark chunked differently than the index, saying why', () => {
    assert.equal(chunkingMismatch(META, { words: 100, overlap: 10, minWords: 50 }), undefined);
    assert.match(chunkingMismatch(META, { words: 128, overlap: 10, minWords: 50 })!, /words=100.*words=128/);
    assert.match(chunkingMismatch({ ...META, chunker: 'langchain' }, META.chunking)!, /chunker "langchain"/);
  });

  it('bench.json must state its chunking', () => {
    assert.throws(() => parseBenchMeta('{"name":"x"}'), BenchmarkError);
    assert.throws(() => parseBenchMeta('{nope'), /not valid JSON/);
    assert.deepEqual(parseBenchMeta(JSON.stringify(META)).chunking, META.chunking);
  });

  it('writes and reads back a benchmark folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
    try {
      fs.mkdirSync(path.join(dir, 'notes'));
      const queries = [{ id: 'd1', text: 'heart failure', type: 'disease' as const }];
      writeBenchmark(dir, META, queries, new Map([['d1', new Map([['p/n::0', 'synonym' as const]])]]));
      const b = readBenchmark(dir);
      assert.equal(b.queries.get('d1')!.text, 'heart failure');
      assert.equal(b.qrels.get('d1')!.get('p/n::0'), 'synonym');
      assert.deepEqual(b.issues, []);
      assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the missing file of an incomplete benchmark folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
    try {
      assert.throws(() => readBenchmark(dir), /no notes\/ folder/);
      fs.mkdirSync(path.join(dir, 'notes'));
      assert.throws(() => readBenchmark(dir), /bench\.json is missing/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the shipped benchmark benchmarks/aci-demo', () => {
  const root = path.resolve(__dirname, '..', '..', '..', '..');
  it('is valid, and every qrel names a chunk the TypeScript chunker makes from its notes', () => {
    const b = readBenchmark(path.join(root, 'benchmarks', 'aci-demo'));
    assert.deepEqual(b.issues, []);
    assert.equal(chunkingMismatch(b.meta, { words: 100, overlap: 10, minWords: 50 }), undefined);
    const corpus = readCorpus(path.join(b.dir, 'notes'), b.meta.chunking);
    assert.deepEqual(corpus.problems, []);
    const known = new Set([...corpus.notes.values()].flat());
    assert.equal(known.size, b.meta.counts?.chunks);
    assert.deepEqual(checkAgainstCorpus(b.qrels, b.queries, known), []);
    const types = new Set([...b.queries.values()].map((q) => q.type));
    assert.deepEqual([...types].sort(), ['disease', 'drug', 'procedure']);
    const match = new Set([...b.qrels.values()].flatMap((m) => [...m.values()]));
    assert.deepEqual([...match].sort(), ['abbreviation', 'hyponym', 'string', 'synonym']);
  });
});
