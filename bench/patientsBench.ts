/**
 * Patient ranking quality: how each aggregate of src/sidecar/patients.ts (max, sum of top k, reciprocal rank)
 * ranks patients on a benchmark (CliniQ layout). A patient is relevant to a query when any of its chunks is.
 * Per ranker, the passage ranking is taken PATIENT_PASSAGE_DEPTH deep once and aggregated three ways; the
 * baseline "top-10 passages" is what a passage list of 10 shows (its patients in order of first appearance).
 *
 * Metrics per query, means over queries (x100): patient MRR, nDCG@10, Recall@10 and Recall@100 of the relevant
 * patients; and the passage-level multi-patient metrics of src/eval (MRR, nDCG@10, Recall@100 over chunks) of
 * the list a reader walks in the Patients mode: patients in order, each with its ranked passages.
 *
 * Usage: node bench/run.mjs patients [--bench benchmarks/mtsamples-dev] [--model models/demo] [--out bench/PATIENTS.md]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readBenchmark } from '../src/eval/benchmark';
import { DEFAULT_COLUMNS, MAX_NOTE_BYTES, readCorpus } from '../src/eval/corpus';
import { mean, mrr, ndcgAtK, recallAtK } from '../src/eval/metrics';
import type { EngineConfig, SearchHit } from '../src/shared/protocol';
import { PATIENT_AGGREGATES, PATIENT_PASSAGE_DEPTH, PATIENT_RRF_K, PATIENT_TOPK, type PatientAggregate } from '../src/shared/search';
import { DEFAULT_EXCLUDE, DEFAULT_INCLUDE } from '../src/sidecar/defaults';
import { Engine } from '../src/sidecar/engine';
import { silentLogger } from '../src/sidecar/log';
import { aggregatePatients } from '../src/sidecar/patients';
import { machineLine } from './machine';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const repo = process.cwd();
const benchDir = path.resolve(arg('bench', 'benchmarks/mtsamples-dev'));
const modelDir = path.resolve(arg('model', 'models/demo'));
const outFile = arg('out', '');

type Ranker = { name: string; mode: 'bm25' | 'dense' | 'hybrid'; expand: boolean };
const RANKERS: Ranker[] = [
  { name: 'bm25', mode: 'bm25', expand: false },
  { name: 'dense', mode: 'dense', expand: false },
  { name: 'hybrid', mode: 'hybrid', expand: false },
  { name: 'hybridx', mode: 'hybrid', expand: true },
];
type Method = PatientAggregate | 'top10';
const METHODS: Method[] = ['top10', ...PATIENT_AGGREGATES];

interface Acc {
  pMrr: number[];
  pNdcg10: number[];
  pR10: number[];
  pR100: number[];
  cMrr: number[];
  cNdcg10: number[];
  cR100: number[];
}
const acc = (): Acc => ({ pMrr: [], pNdcg10: [], pR10: [], pR100: [], cMrr: [], cNdcg10: [], cR100: [] });

async function main(): Promise<void> {
  const bench = readBenchmark(benchDir);
  const corpus = readCorpus(path.join(bench.dir, 'notes'), bench.meta.chunking);
  const patientOfChunk = new Map<string, string>();
  for (const [note, ids] of corpus.notes) for (const id of ids) patientOfChunk.set(id, corpus.patientOf.get(note) ?? note);
  const config: EngineConfig = {
    workspaceRoot: path.join(bench.dir, 'notes'),
    indexLocation: path.join(repo, 'bench', 'work', `patients-${bench.meta.name}-${path.basename(modelDir)}`),
    modelDir,
    device: 'cpu',
    include: [...DEFAULT_INCLUDE],
    exclude: [...DEFAULT_EXCLUDE],
    columns: DEFAULT_COLUMNS,
    chunking: bench.meta.chunking,
    maxFileBytes: MAX_NOTE_BYTES,
    queryExpansion: false,
  };
  const engine = await Engine.open(config, silentLogger, { threads: 2 });
  const queries = [...bench.queries.values()].filter((q) => (bench.qrels.get(q.id)?.size ?? 0) > 0);
  const results = new Map<string, Map<Method, Acc>>();
  const started = Date.now();
  try {
    const ix = await engine.index({ workId: 'bench' });
    process.stderr.write(`indexed ${ix.status.chunks} chunks, ${ix.status.patients} patients; ${queries.length} queries\n`);
    for (const r of RANKERS) {
      const byMethod = new Map<Method, Acc>(METHODS.map((m) => [m, acc()]));
      results.set(r.name, byMethod);
      for (const q of queries) {
        const relevantChunks = new Set(bench.qrels.get(q.id)!.keys());
        const relevantPatients = new Set([...relevantChunks].map((c) => patientOfChunk.get(c) ?? c));
        const res = await engine.search({ query: q.text, k: PATIENT_PASSAGE_DEPTH, mode: r.mode, expand: r.expand });
        const hits = res.hits;
        for (const m of METHODS) {
          let patients: string[];
          let chunks: string[];
          if (m === 'top10') {
            const top = hits.slice(0, 10);
            patients = [...new Set(top.map((h) => h.patientId))];
            chunks = top.map((h) => h.chunkId);
          } else {
            const groups = aggregatePatients(hits, (h: SearchHit) => h.patientId, (h) => h.score, m);
            patients = groups.map((g) => g.patientId);
            chunks = groups.flatMap((g) => g.items.map((h) => h.chunkId));
          }
          const a = byMethod.get(m)!;
          a.pMrr.push(mrr(patients, relevantPatients));
          a.pNdcg10.push(ndcgAtK(patients, relevantPatients, 10));
          a.pR10.push(recallAtK(patients, relevantPatients, 10));
          a.pR100.push(recallAtK(patients, relevantPatients, 100));
          a.cMrr.push(mrr(chunks, relevantChunks));
          a.cNdcg10.push(ndcgAtK(chunks, relevantChunks, 10));
          a.cR100.push(recallAtK(chunks, relevantChunks, 100));
        }
      }
      process.stderr.write(`${r.name} done\n`);
    }
  } finally {
    await engine.close();
  }
  const f = (xs: number[]): string => (100 * mean(xs)).toFixed(2);
  const lines: string[] = [];
  lines.push(`- Benchmark: ${bench.meta.name} (${corpus.notes.size} notes, ${new Set(corpus.patientOf.values()).size} patients, ${corpus.chunkCount} chunks, ${queries.length} queries with a relevant chunk)`);
  lines.push(`- Model: ${path.relative(repo, modelDir) || modelDir}; passage depth ${PATIENT_PASSAGE_DEPTH}; topk = sum of the best ${PATIENT_TOPK}; rrf k = ${PATIENT_RRF_K}`);
  lines.push(`- Machine: ${machineLine()}; ${new Date().toISOString()}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
  lines.push('');
  lines.push('| ranker | aggregate | patient MRR | patient nDCG@10 | patient R@10 | patient R@100 | passage MRR | passage nDCG@10 | passage R@100 |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [ranker, byMethod] of results) {
    for (const [m, a] of byMethod) {
      lines.push(`| ${ranker} | ${m === 'top10' ? 'top-10 passages' : m} | ${f(a.pMrr)} | ${f(a.pNdcg10)} | ${f(a.pR10)} | ${f(a.pR100)} | ${f(a.cMrr)} | ${f(a.cNdcg10)} | ${f(a.cR100)} |`);
    }
  }
  const table = lines.join('\n') + '\n';
  process.stdout.write(table);
  if (outFile) fs.writeFileSync(outFile, table);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
