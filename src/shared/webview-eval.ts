/**
 * Types shared by the evaluation (src/eval, which writes report.json), the "Evaluate Model" command
 * (src/commands/eval.ts, src/views/evalReport.ts) and the report webview (webview-ui/eval).
 * Type-only: no runtime imports, so every bundle may include it.
 */

export type QueryType = 'disease' | 'procedure' | 'drug';
export const QUERY_TYPES: readonly QueryType[] = ['disease', 'procedure', 'drug'];

export type MatchType = 'string' | 'synonym' | 'abbreviation' | 'hyponym' | 'implication';
export const MATCH_TYPES: readonly MatchType[] = ['string', 'synonym', 'abbreviation', 'hyponym', 'implication'];

/**
 * bm25x and hybridx are BM25 and hybrid with query expansion from the model's lexicon (the search's default in the
 * editor); the plain ones search the typed words only. On a benchmark graded from the same graph as the lexicon,
 * the expanded rankers' gains are inflated.
 */
export type RankerName = 'bm25' | 'dense' | 'hybrid' | 'bm25x' | 'hybridx';
/** What `drehr eval` and Evaluate Model run by default. */
export const RANKER_NAMES: readonly RankerName[] = ['bm25', 'dense', 'hybrid'];
export const ALL_RANKERS: readonly RankerName[] = ['bm25', 'dense', 'hybrid', 'bm25x', 'hybridx'];

/** The search mode a ranker runs, and whether it expands the query. */
export function rankerSearch(name: RankerName): { mode: 'bm25' | 'dense' | 'hybrid'; expand: boolean } {
  return name === 'bm25x' ? { mode: 'bm25', expand: true } : name === 'hybridx' ? { mode: 'hybrid', expand: true } : { mode: name, expand: false };
}

/** Single-patient scores (per (query, note) pair, as CliniQ's eval.py "inner" metrics). */
export interface SingleScores {
  mrr: number;
  /** nDCG over the note's full ranking. */
  ndcg: number;
  map: number;
  /** Number of (query, note) pairs averaged; 0 means every score is NaN-free 0 and should read "n/a". */
  n: number;
}

/** Multi-patient scores (per query, as eval.py "inter" metrics). */
export interface MultiScores {
  mrr: number;
  /** eval.py's nDCG@10: the ideal DCG comes from the retrieved top 10's relevances (kept for comparability). */
  ndcg10EvalPy: number;
  /** Standard nDCG@10: the ideal DCG comes from all relevant chunks. */
  ndcg10: number;
  recall100: number;
  n: number;
}

/** One row of a table: all queries ('overall'), one query type, or one match type. */
export interface ScoreRow<S> {
  key: 'overall' | QueryType | MatchType;
  scores: S;
}

export interface RankerResult {
  ranker: RankerName;
  /** Model id for dense/hybrid (drehr.json id); undefined for bm25. */
  modelId?: string;
  /** Hybrid rankers evaluated with another fusion than the search's (`drehr eval --fusion`): its label. */
  fusion?: string;
  /** Single-patient: overall, per query type, then per match type (pooled over query types). */
  single: ScoreRow<SingleScores>[];
  /** Multi-patient: overall, per query type (as eval.py), then per match type (our extension, see docs/cliniq.md). */
  multi: ScoreRow<MultiScores>[];
  /** Seconds spent ranking (index time excluded). */
  rankSeconds: number;
  indexSeconds: number;
}

/** A problem found in the benchmark files; the evaluation goes on without the offending lines. */
export interface BenchIssue {
  kind:
    | 'unknown-query'
    | 'unknown-chunk'
    | 'bad-match-type'
    | 'malformed-line'
    | 'duplicate-qrel'
    | 'duplicate-query'
    | 'query-without-relevant';
  /** File and 1-based line, e.g. "qrels.tsv:12". */
  where: string;
  message: string;
}

export interface EvalReport {
  format: 1;
  benchmark: { name: string; dir: string; source?: string; chunking: { words: number; overlap: number; minWords: number } };
  counts: { notes: number; chunks: number; queries: number; qrels: number; queriesEvaluated: number; singlePairs: number };
  model?: { id: string; name: string; dir: string; trained: boolean; precision?: string };
  /** Problems in the benchmark files, grouped counts plus the first few of each kind. */
  issues: { counts: Partial<Record<BenchIssue['kind'], number>>; examples: BenchIssue[] };
  results: RankerResult[];
  /** Depth of the corpus ranking requested from the engine (multi-patient). */
  depth: number;
  machine: string;
  created: string;
  tool: string;
  notes: string[];
}

// ---------------------------------------------------------------------------------------------------------
// Webview messages (discriminated unions). Host → webview and webview → host.
// ---------------------------------------------------------------------------------------------------------

/** Host → webview. */
export type HostToEvalView =
  | { type: 'report'; report: EvalReport; savedTo?: { md: string; json: string } }
  | { type: 'progress'; message: string };

/** Webview → host. */
export type EvalViewToHost =
  | { type: 'ready' }
  | { type: 'openFile'; which: 'md' | 'json' };

/** The host runs this on every message from the webview (untrusted input). */
export function isEvalViewToHost(x: unknown): x is EvalViewToHost {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as { type?: unknown; which?: unknown };
  return m.type === 'ready' || (m.type === 'openFile' && (m.which === 'md' || m.which === 'json'));
}
