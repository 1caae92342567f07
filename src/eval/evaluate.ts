/**
 * One evaluation from start to end: read and check the benchmark, chunk its notes as the index will,
 * index them with the engine into a cache folder, run each ranker and build the report. The engine comes
 * in through `OpenEngine` (engineAdapter.ts gives the real one; tests give a fake).
 */
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChunkingOptions, EngineConfig, Problem, SearchParams, SearchResult } from '../shared/protocol';
import { rankerSearch, type BenchIssue, type EvalReport, type RankerName, type RankerResult } from '../shared/webview-eval';
import { BenchmarkError, checkAgainstCorpus, chunkingMismatch, readBenchmark } from './benchmark';
import { DEFAULT_COLUMNS, MAX_NOTE_BYTES, readCorpus } from './corpus';
import { DEFAULT_CHUNKING as SHARED_CHUNKING, DEFAULT_EXCLUDE, DEFAULT_INCLUDE } from '../shared/defaults';
import { candidatePairs, runRanker, type Ranker } from './run';
import { fuse, fusionLabel, type FusionSpec } from '../sidecar/store/rrf';

export const DEFAULT_CHUNKING: ChunkingOptions = { ...SHARED_CHUNKING };
/**
 * eval.py ranks the whole corpus; we ask for that up to the engine's largest k (src/sidecar/search.ts MAX_K),
 * and above it rank each note with a search restricted to the note.
 */
export const MAX_DEPTH = 1000;

export interface EvalModelInfo {
  id: string;
  name: string;
  dir: string;
  trained: boolean;
  /** The graph that ran ('fp32' | 'int8'). */
  precision?: string;
}

/** What the evaluation needs of the engine. */
export interface EvalEngine {
  model: EvalModelInfo;
  /** Index (incrementally) the configured workspace; resolves with the files it could not index. */
  index(onProgress: (done: number, total: number) => void, signal?: AbortSignal): Promise<{ problems: Problem[] }>;
  search(params: SearchParams): Promise<SearchResult>;
  close(): Promise<void>;
}
export type OpenEngine = (config: EngineConfig) => Promise<EvalEngine>;

export interface EvaluateOptions {
  benchDir: string;
  modelDir: string;
  rankers: RankerName[];
  chunking: ChunkingOptions;
  cacheDir: string;
  device: EngineConfig['device'];
  precision?: EngineConfig['precision'];
  depth?: number;
  /** Extra results for the hybrid rankers: the same dense and BM25 rankings fused by each of these (`--fusion`). */
  fusions?: FusionSpec[];
  signal?: AbortSignal;
  onProgress?: (phase: 'index' | 'rank', done: number, total: number, message: string) => void;
  tool: string;
}

type Scored = Array<{ chunkId: string; score: number }>;

/** Engine searches (chunk ids and scores only), remembered so that several fusions of the same rankings search once. */
function memoSearch(engine: EvalEngine): (params: SearchParams) => Promise<Scored> {
  const memo = new Map<string, Promise<Scored>>();
  return (params) => {
    const key = JSON.stringify(params);
    let r = memo.get(key);
    if (!r) {
      r = engine.search(params).then((res) => res.hits.map((h) => ({ chunkId: h.chunkId, score: h.score })));
      memo.set(key, r);
    }
    return r;
  };
}

/**
 * A hybrid ranker that fuses the engine's dense and BM25(x) rankings itself, by `spec`, with the depth the search
 * gives each side (src/sidecar/search.ts: max(2k, 50), at most MAX_DEPTH).
 */
function fusionRanker(name: RankerName, spec: FusionSpec, search: (p: SearchParams) => Promise<Scored>, modelId: string): Ranker {
  const { expand } = rankerSearch(name);
  return {
    name,
    modelId,
    rank: async (query, k, within) => {
      const depth = Math.min(MAX_DEPTH, Math.max(k * 2, 50));
      const [dense, lex] = await Promise.all([
        search({ query, k: depth, mode: 'dense', expand: false, ...(within ?? {}) }),
        search({ query, k: depth, mode: 'bm25', expand, ...(within ?? {}) }),
      ]);
      return fuse([dense, lex], (h) => h.chunkId, (h) => h.score, spec).slice(0, k).map((f) => f.item.chunkId);
    },
  };
}

/** The benchmark cannot be evaluated as asked (chunking mismatch): exit code 3. */
export class RefusedError extends Error {}

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'drehr', 'eval');
}

export function machineDescription(): string {
  const cpus = os.cpus();
  return `${os.type()} ${os.arch()}, ${cpus.length} x ${cpus[0]?.model.trim() ?? 'cpu'}, Node ${process.version}`;
}

function summarizeIssues(issues: BenchIssue[]): EvalReport['issues'] {
  const counts: EvalReport['issues']['counts'] = {};
  const examples: BenchIssue[] = [];
  const shown = new Map<string, number>();
  for (const i of issues) {
    counts[i.kind] = (counts[i.kind] ?? 0) + 1;
    const s = shown.get(i.kind) ?? 0;
    if (s < 5) examples.push(i);
    shown.set(i.kind, s + 1);
  }
  return { counts, examples };
}

export async function evaluate(opts: EvaluateOptions, openEngine: OpenEngine): Promise<EvalReport> {
  const bench = readBenchmark(opts.benchDir);
  const why = chunkingMismatch(bench.meta, opts.chunking);
  if (why) throw new RefusedError(`Refusing to evaluate ${bench.meta.name}: ${why}.`);
  const corpus = readCorpus(path.join(bench.dir, 'notes'), opts.chunking);
  if (corpus.chunkCount === 0) throw new BenchmarkError(`${bench.dir}/notes holds no note with text: nothing to rank.`);
  const known = new Set<string>();
  for (const ids of corpus.notes.values()) for (const id of ids) known.add(id);
  const issues = [...bench.issues, ...checkAgainstCorpus(bench.qrels, bench.queries, known)];
  const scorable = [...bench.queries.keys()].filter((q) => (bench.qrels.get(q)?.size ?? 0) > 0).length;
  if (scorable === 0) throw new BenchmarkError(`No query of ${bench.meta.name} has a relevant chunk in its corpus: nothing to score. See the problems above.`);

  const hash = (x: string): string => crypto.createHash('sha256').update(x).digest('hex').slice(0, 12);
  const key = hash(bench.dir);
  const config: EngineConfig = {
    workspaceRoot: path.join(bench.dir, 'notes'),
    // One cached index per (benchmark folder, model folder): the engine re-embeds only what changed.
    indexLocation: path.join(opts.cacheDir, `${bench.meta.name}-${key}`, `${path.basename(path.resolve(opts.modelDir))}-${hash(path.resolve(opts.modelDir))}${opts.precision && opts.precision !== 'auto' ? `-${opts.precision}` : ''}`),
    modelDir: path.resolve(opts.modelDir),
    device: opts.device,
    ...(opts.precision ? { precision: opts.precision } : {}),
    include: [...DEFAULT_INCLUDE],
    exclude: [...DEFAULT_EXCLUDE],
    columns: DEFAULT_COLUMNS,
    chunking: opts.chunking,
    maxFileBytes: MAX_NOTE_BYTES,
    queryExpansion: false,
  };
  const engine = await openEngine(config);
  try {
    const t0 = Date.now();
    const indexed = await engine.index((d, t) => opts.onProgress?.('index', d, t, `indexing ${d}/${t}`), opts.signal);
    const indexSeconds = (Date.now() - t0) / 1000;
    const depth = opts.depth ?? Math.min(corpus.chunkCount, MAX_DEPTH);
    const results: RankerResult[] = [];
    for (const name of opts.rankers) {
      const ranker: Ranker = {
        name,
        rank: async (query, k, within) => {
          const res = await engine.search({ query, k, ...rankerSearch(name), ...(within ?? {}) });
          return res.hits.map((h) => h.chunkId);
        },
      };
      if (name !== 'bm25') ranker.modelId = engine.model.id; // bm25x too: its expansions come from the model's lexicon
      results.push(
        await runRanker(bench, corpus, ranker, { depth, signal: opts.signal, onProgress: (d, t, m) => opts.onProgress?.('rank', d, t, m) }, indexSeconds),
      );
    }
    const search = memoSearch(engine);
    for (const name of opts.rankers.filter((r) => rankerSearch(r).mode === 'hybrid')) {
      for (const spec of opts.fusions ?? []) {
        const ranker = fusionRanker(name, spec, search, engine.model.id);
        const result = await runRanker(bench, corpus, ranker, { depth, signal: opts.signal, onProgress: (d, t, m) => opts.onProgress?.('rank', d, t, `${m} [${fusionLabel(spec)}]`) }, indexSeconds);
        results.push({ ...result, fusion: fusionLabel(spec) });
      }
    }
    const notes = [
      'Metrics follow CliniQ eval.py (github zhao-zy15/CliniQ): single-patient per (query, note) pair, notes under 5 chunks or all relevant skipped; multi-patient per query.',
      '"nDCG@10 (eval.py)" takes its ideal DCG from the retrieved top 10 (eval.py\'s quirk); "nDCG@10" is the standard one.',
      'Per-match-type multi-patient rows are this tool\'s extension (other relevant chunks removed from the ranking first); eval.py prints them for single-patient only.',
      `Chunks a ranker did not return are appended to a note's ranking in a fixed pseudo-random order; the corpus ranking is cut at depth ${depth}.`,
    ];
    if (!bench.qrels.size || ![...bench.qrels.values()].some((m) => [...m.values()].includes('implication'))) {
      notes.push('No implication labels in this benchmark: implication cannot be graded from a knowledge graph, so the open benchmarks leave it out.');
    }
    if (indexed.problems.length) notes.push(`${indexed.problems.length} note file(s) could not be indexed: ${indexed.problems.slice(0, 3).map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    if (corpus.problems.length) notes.push(`${corpus.problems.length} note file problem(s) while chunking: ${corpus.problems.slice(0, 3).map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    let qrels = 0;
    for (const m of bench.qrels.values()) qrels += m.size;
    return {
      format: 1,
      benchmark: { name: bench.meta.name, dir: bench.dir, ...(bench.meta.source ? { source: bench.meta.source } : {}), chunking: bench.meta.chunking },
      counts: { notes: corpus.notes.size, chunks: corpus.chunkCount, queries: bench.queries.size, qrels, queriesEvaluated: scorable, singlePairs: results[0]?.single[0]?.scores.n ?? candidatePairs(bench) },
      model: engine.model,
      issues: summarizeIssues(issues),
      results,
      depth,
      machine: machineDescription(),
      created: new Date().toISOString(),
      tool: opts.tool,
      notes,
    };
  } finally {
    await engine.close();
  }
}
