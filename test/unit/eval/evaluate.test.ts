import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evalCommand, EXIT, reportDir } from '../../../src/eval/cli';
import { evaluate, RefusedError, DEFAULT_CHUNKING, type EvaluateOptions } from '../../../src/eval/evaluate';
import { parseEvalArgs } from '../../../src/eval/args';
import { parseFusion } from '../../../src/sidecar/store/rrf';
import { rankerSearch, type EvalReport } from '../../../src/shared/webview-eval';
import { fakeEngine } from './fakeEngine';

/** n words: "w0 w1 ...", with `term` at the given word positions. */
function text(n: number, at: Record<number, string> = {}): string {
  return Array.from({ length: n }, (_, i) => at[i] ?? `w${i}`).join(' ');
}

/** Notes: A (6 chunks of 100/10/50: 550 words), B (1 chunk). Queries: asthma (string in A::0 and A::3), gout. */
function makeBench(root: string, opts: { chunking?: object; extraQrels?: string } = {}): string {
  const dir = path.join(root, 'bench');
  fs.mkdirSync(path.join(dir, 'notes', 'p1'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'notes', 'p2'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'notes', 'p1', 'A.md'), `---\nnote_id: A\npatient_id: p1\n---\n${text(550, { 5: 'asthma', 300: 'asthma' })}\n`);
  fs.writeFileSync(path.join(dir, 'notes', 'p2', 'B.md'), `---\nnote_id: B\npatient_id: p2\n---\n${text(40, { 3: 'gout' })}\n`);
  fs.writeFileSync(path.join(dir, 'bench.json'), JSON.stringify({ name: 'tiny', chunking: opts.chunking ?? DEFAULT_CHUNKING, chunker: 'drehr-chunker-1', source: 'test' }));
  fs.writeFileSync(
    path.join(dir, 'queries.jsonl'),
    ['{"query_id":"d1","text":"asthma","type":"disease"}', '{"query_id":"d2","text":"gout","type":"disease"}', '{"query_id":"d3","text":"nothing","type":"drug"}', ''].join('\n'),
  );
  fs.writeFileSync(path.join(dir, 'qrels.tsv'), ['d1\tA::0\tstring', 'd1\tA::3\tsynonym', 'd2\tB::0\tstring', 'd3\tA::99\tstring', 'zz\tA::1\tstring', opts.extraQrels ?? ''].join('\n'));
  return dir;
}

/** Runs fn with process.stdout/stderr writes captured (drehr eval prints tables and usage). */
async function captured<T>(fn: () => Promise<T>): Promise<{ value: T; out: string; err: string }> {
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  let out = '';
  let err = '';
  process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((err += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { value: await fn(), out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

describe('eval/evaluate and drehr eval', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'evaltest-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const base = (benchDir: string): EvaluateOptions => ({ benchDir, modelDir: path.join(root, 'model'), rankers: ['bm25', 'dense'], chunking: DEFAULT_CHUNKING, cacheDir: path.join(root, 'cache'), device: 'cpu', tool: 'test' });

  it('scores a benchmark end to end, reporting unknown chunks, unknown queries and queries without relevant chunks', async () => {
    const log: string[] = [];
    const report = await evaluate({ ...base(makeBench(root)), rankers: ['bm25', 'dense'] }, async (c) => fakeEngine(c, log));
    assert.equal(report.counts.notes, 2);
    assert.equal(report.counts.chunks, 7);
    assert.equal(report.counts.queriesEvaluated, 2);
    assert.deepEqual(report.issues.counts, { 'unknown-query': 1, 'unknown-chunk': 1, 'query-without-relevant': 1 });
    const bm25 = report.results[0];
    // multi-patient: asthma -> A::0 and A::3 hold it (rank 1, 2): MRR 1; gout -> B::0 rank 1
    assert.equal(bm25.multi[0].scores.mrr, 1);
    assert.equal(bm25.multi[0].scores.recall100, 1);
    // single-patient: only note A qualifies (B has one chunk); per type: string A::0 first, synonym A::3 first once A::0 is removed
    assert.equal(bm25.single[0].scores.n, 1);
    assert.equal(bm25.single[0].scores.map, 1);
    assert.deepEqual(bm25.single.map((r) => r.key), ['overall', 'disease', 'string', 'synonym']);
    assert.equal(report.results[1].modelId, 'fake-model');
    assert.equal(log[0], 'index');
    assert.equal(log[log.length - 1], 'close');
    // the whole corpus fits the default depth, so notes are ranked from the corpus ranking: no per-note search
    assert.ok(!log.some((l) => /search:\w+:A/.test(l)));
  });

  it('--fusion: each hybrid ranker again per fusion, from one dense and one BM25 search per query', async () => {
    const log: string[] = [];
    const report = await evaluate(
      { ...base(makeBench(root)), rankers: ['bm25', 'hybrid'], fusions: [parseFusion('rrf:k=60'), parseFusion('minmax:w=0.3')] },
      async (c) => fakeEngine(c, log),
    );
    assert.deepEqual(report.results.map((r) => [r.ranker, r.fusion]), [['bm25', undefined], ['hybrid', undefined], ['hybrid', 'rrf k=60'], ['hybrid', 'minmax w=0.30']]);
    // asthma's chunks lead both the fake's dense and BM25 rankings, so every fusion keeps them first
    for (const r of report.results.slice(2)) assert.equal(r.multi[0].scores.mrr, 1);
    // two fusions, one dense and one bm25 search per query (memoized)
    const fusedSearches = log.filter((l) => l === 'search:dense:*').length;
    assert.equal(fusedSearches, report.counts.queriesEvaluated);
  });

  it('falls back to per-note searches when the corpus ranking is cut short', async () => {
    const log: string[] = [];
    const report = await evaluate({ ...base(makeBench(root)), rankers: ['dense'], depth: 2 }, async (c) => fakeEngine(c, log));
    assert.ok(log.includes('search:dense:A'));
    assert.equal(report.depth, 2);
  });

  it('groups single-patient rankings by patient when bench.json says "single": "patient" (CliniQ chunks as notes)', async () => {
    const dir = path.join(root, 'cq');
    fs.mkdirSync(path.join(dir, 'notes'), { recursive: true });
    // six CliniQ-style chunks of admission 100 as one-chunk notes, and one of admission 200
    const rows = ['{"note_id":"100_0","patient_id":"100","text":"' + text(60, { 2: 'sepsis' }) + '"}'];
    for (let i = 1; i < 6; i++) rows.push(`{"note_id":"100_${i}","patient_id":"100","text":"${text(60)}"}`);
    rows.push(`{"note_id":"200_0","patient_id":"200","text":"${text(60, { 1: 'sepsis' })}"}`);
    fs.writeFileSync(path.join(dir, 'notes', 'corpus.jsonl'), rows.join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'queries.jsonl'), '{"query_id":"D1","text":"sepsis","type":"disease"}\n');
    fs.writeFileSync(path.join(dir, 'qrels.tsv'), 'D1\t100_0::0\tstring\nD1\t200_0::0\tstring\n');
    const meta = { name: 'cq', chunking: DEFAULT_CHUNKING, chunker: 'drehr-chunker-1' };
    fs.writeFileSync(path.join(dir, 'bench.json'), JSON.stringify({ ...meta, single: 'patient' }));
    const log: string[] = [];
    const byPatient = await evaluate({ ...base(dir), rankers: ['bm25'], depth: 3 }, async (c) => fakeEngine(c, log));
    // admission 100 has 6 chunks: one (query, patient) pair, sepsis ranked first; admission 200 has 1 chunk: skipped
    assert.equal(byPatient.results[0].single[0].scores.n, 1);
    assert.equal(byPatient.results[0].single[0].scores.mrr, 1);
    assert.ok(log.includes('search:bm25:100'));
    fs.writeFileSync(path.join(dir, 'bench.json'), JSON.stringify(meta));
    const byNote = await evaluate({ ...base(dir), rankers: ['bm25'] }, async (c) => fakeEngine(c));
    assert.equal(byNote.results[0].single[0].scores.n, 0); // every note has one chunk: all skipped
  });

  it('refuses a benchmark built with another chunking, and says both', async () => {
    const dir = makeBench(root, { chunking: { words: 128, overlap: 16, minWords: 32 } });
    await assert.rejects(evaluate(base(dir), async (c) => fakeEngine(c)), (e: Error) => e instanceof RefusedError && /words=128.*words=100/.test(e.message));
  });

  it('drehr eval writes report.md and report.json and exits 0; a refused benchmark exits 3; bad arguments exit 2', async () => {
    const dir = makeBench(root);
    const out = path.join(root, 'out');
    const ok = await captured(() => evalCommand(['--bench', dir, '--out', out, '--model', path.join(root, 'm'), '--cache', path.join(root, 'c'), '--ranker', 'bm25,hybrid'], async (c) => fakeEngine(c)));
    assert.equal(ok.value, EXIT.ok);
    assert.match(ok.out, /Single-patient \(x100\)[\s\S]*Saved /);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as EvalReport;
    assert.deepEqual(report.results.map((r) => r.ranker), ['bm25', 'hybrid']);
    assert.match(fs.readFileSync(path.join(out, 'report.md'), 'utf8'), /## Single-patient retrieval[\s\S]*\| string \| 1 \|/);
    const json = await captured(() => evalCommand(['--bench', dir, '--out', out, '--cache', path.join(root, 'c'), '--json', '--ranker', 'bm25'], async (c) => fakeEngine(c)));
    assert.equal(json.value, EXIT.ok);
    assert.equal((JSON.parse(json.out) as EvalReport).results[0].ranker, 'bm25');
    assert.match(json.err, /^\{"event":"progress"/m);
    assert.match(json.err, /"event":"saved"/);
    const refused = await captured(() => evalCommand(['--bench', dir, '--chunking', '128,16,32', '--out', out, '--json'], async (c) => fakeEngine(c)));
    assert.equal(refused.value, EXIT.refused);
    assert.match(refused.err, /"event":"error","code":3/);
    const usage = await captured(() => evalCommand(['--bench'], async (c) => fakeEngine(c)));
    assert.equal(usage.value, EXIT.usage);
    assert.match(usage.err, /--bench needs a value[\s\S]*Exit codes/);
    assert.equal((await captured(() => evalCommand(['--bench', path.join(root, 'missing')], async (c) => fakeEngine(c)))).value, EXIT.usage);
  });

  it('puts the report of a training run folder in eval-<benchmark>/, leaving the run\'s report.md alone', () => {
    const run = path.join(root, 'run');
    fs.mkdirSync(run);
    fs.writeFileSync(path.join(run, 'run.json'), '{}');
    assert.equal(reportDir(run, 'aci-demo'), path.join(run, 'eval-aci-demo'));
    assert.equal(reportDir(path.join(root, 'x'), 'aci-demo'), path.join(root, 'x'));
  });

  it('parses arguments and rejects bad ones with the reason', () => {
    const a = parseEvalArgs(['--bench', 'b', '--ranker=dense', '--chunking', '100,10,50', '--depth', '500', '--json']);
    assert.deepEqual(a.rankers, ['dense']);
    assert.equal(a.depth, 500);
    assert.equal(a.json, true);
    assert.throws(() => parseEvalArgs(['--bench', 'b', '--ranker', 'splade']), /splade/);
    assert.deepEqual(parseEvalArgs(['--bench', 'b', '--ranker', 'bm25x,hybridx']).rankers, ['bm25x', 'hybridx']);
    assert.deepEqual(rankerSearch('bm25x'), { mode: 'bm25', expand: true });
    assert.deepEqual(rankerSearch('hybrid'), { mode: 'hybrid', expand: false });
    assert.throws(() => parseEvalArgs(['--bench', 'b', '--chunking', '10,10,5']), /OVERLAP < WORDS/);
    assert.throws(() => parseEvalArgs(['--model', 'm']), /--bench DIR is required/);
    assert.throws(() => parseEvalArgs(['--bench', 'b', '--frobnicate']), /unknown argument/);
    assert.equal(parseEvalArgs(['--bench', 'b']).precision, 'auto');
    assert.equal(parseEvalArgs(['--bench', 'b', '--precision', 'int8']).precision, 'int8');
    assert.throws(() => parseEvalArgs(['--bench', 'b', '--precision', 'fp16']), /auto, fp32 or int8/);
  });
});
