/**
 * CliniQ scoring: turns rankings into the single-patient and multi-patient tables exactly as eval.py does,
 * plus the per-match-type multi-patient scores and the standard nDCG@10 that eval.py does not print.
 * Pure: the caller supplies the rankings (src/eval/run.ts gets them from the engine).
 */
import type { MatchType, MultiScores, QueryType, ScoreRow, SingleScores } from '../shared/webview-eval';
import { MATCH_TYPES, QUERY_TYPES } from '../shared/webview-eval';
import { averagePrecision, mean, mrr, ndcgAtK, ndcgAtKEvalPy, recallAtK } from './metrics';

/** eval.py skips a note with fewer chunks than this in single-patient retrieval. */
export const MIN_NOTE_CHUNKS = 5;
export const NDCG_K = 10;
export const RECALL_K = 100;

export interface ScoredQuery {
  queryId: string;
  type: QueryType;
  /** Relevant chunk id → match type (one type per pair). */
  relevant: ReadonlyMap<string, MatchType>;
  /** Corpus ranking, best first (may be truncated to the requested depth). */
  corpus: readonly string[];
  /**
   * Per note holding a relevant chunk (or per patient, for a benchmark whose bench.json says "single": "patient"):
   * every chunk of it, ranked (see `completeRanking`).
   */
  notes: ReadonlyMap<string, readonly string[]>;
}

/** Note id of a chunk id `<note id>::<ordinal>` (the note id itself may contain "::"). */
export function noteOfChunk(chunkId: string): string {
  const i = chunkId.lastIndexOf('::');
  return i < 0 ? chunkId : chunkId.slice(0, i);
}

/** Notes that hold at least one relevant chunk, in first-seen order. */
export function relevantNotes(relevant: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const c of relevant) out.add(noteOfChunk(c));
  return [...out];
}

/** FNV-1a 32-bit hash, for a stable order of chunks a ranker did not return. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The note's full ranking, as eval.py gets by filtering the corpus ranking to the note: the ranked ids that
 * belong to the note (duplicates and foreign ids dropped), then the note's chunks the ranker did not return
 * (BM25 returns only chunks sharing a term with the query) in a fixed pseudo-random order, so that no chunk
 * position (first, last) is favoured.
 */
export function completeRanking(ranked: readonly string[], noteChunks: readonly string[]): string[] {
  const all = new Set(noteChunks);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const id of ranked) {
    if (all.has(id) && !seen.has(id)) {
      seen.add(id);
      out.push(id);
    }
  }
  const rest = noteChunks.filter((id) => !seen.has(id));
  rest.sort((a, b) => fnv1a(a) - fnv1a(b) || (a < b ? -1 : a > b ? 1 : 0));
  return out.concat(rest);
}

interface SingleAcc { mrr: number[]; ndcg: number[]; map: number[] }
interface MultiAcc { mrr: number[]; ndcg10EvalPy: number[]; ndcg10: number[]; recall100: number[] }
const singleAcc = (): SingleAcc => ({ mrr: [], ndcg: [], map: [] });
const multiAcc = (): MultiAcc => ({ mrr: [], ndcg10EvalPy: [], ndcg10: [], recall100: [] });

function pushSingle(acc: SingleAcc, pred: readonly string[], corr: ReadonlySet<string>): void {
  acc.mrr.push(mrr(pred, corr));
  acc.ndcg.push(ndcgAtKEvalPy(pred, corr, pred.length));
  acc.map.push(averagePrecision(pred, corr));
}

function pushMulti(acc: MultiAcc, pred: readonly string[], corr: ReadonlySet<string>): void {
  acc.mrr.push(mrr(pred, corr));
  acc.ndcg10EvalPy.push(ndcgAtKEvalPy(pred, corr, NDCG_K));
  acc.ndcg10.push(ndcgAtK(pred, corr, NDCG_K));
  acc.recall100.push(recallAtK(pred, corr, RECALL_K));
}

const finishSingle = (a: SingleAcc): SingleScores => ({ mrr: mean(a.mrr), ndcg: mean(a.ndcg), map: mean(a.map), n: a.mrr.length });
const finishMulti = (a: MultiAcc): MultiScores => ({
  mrr: mean(a.mrr),
  ndcg10EvalPy: mean(a.ndcg10EvalPy),
  ndcg10: mean(a.ndcg10),
  recall100: mean(a.recall100),
  n: a.mrr.length,
});

/**
 * Single-patient scores of one query: one entry per (query, note) pair that eval.py keeps, and per match
 * type the pairs it keeps for that type. Exported for the unit tests.
 */
export function scoreSingleQuery(q: ScoredQuery): { overall: SingleAcc; byMatch: Map<MatchType, SingleAcc> } {
  const overall = singleAcc();
  const byMatch = new Map<MatchType, SingleAcc>();
  for (const pred of q.notes.values()) {
    const corr = new Set(pred.filter((c) => q.relevant.has(c)));
    if (corr.size === 0) continue; // not a note of this query
    if (pred.length < MIN_NOTE_CHUNKS) continue; // too short a note
    if (pred.length === corr.size) continue; // every chunk relevant: nothing to rank
    pushSingle(overall, pred, corr);
    for (const typ of MATCH_TYPES) {
      const typCorr = new Set([...corr].filter((c) => q.relevant.get(c) === typ));
      if (typCorr.size === 0) continue;
      // Remove the note's other relevant chunks, so they neither help nor hurt this match type.
      const typPred = pred.filter((c) => !corr.has(c) || typCorr.has(c));
      if (typPred.length === typCorr.size) continue; // only relevant chunks remain
      let acc = byMatch.get(typ);
      if (!acc) byMatch.set(typ, (acc = singleAcc()));
      pushSingle(acc, typPred, typCorr);
    }
  }
  return { overall, byMatch };
}

/** Multi-patient scores of one query, overall and per match type (other relevant chunks removed first). */
export function scoreMultiQuery(q: ScoredQuery): { overall: MultiAcc; byMatch: Map<MatchType, MultiAcc> } {
  const overall = multiAcc();
  const byMatch = new Map<MatchType, MultiAcc>();
  const corr = new Set(q.relevant.keys());
  pushMulti(overall, q.corpus, corr);
  for (const typ of MATCH_TYPES) {
    const typCorr = new Set([...corr].filter((c) => q.relevant.get(c) === typ));
    if (typCorr.size === 0) continue;
    const typPred = q.corpus.filter((c) => !corr.has(c) || typCorr.has(c));
    const acc = multiAcc();
    pushMulti(acc, typPred, typCorr);
    byMatch.set(typ, acc);
  }
  return { overall, byMatch };
}

function concatInto<T extends object>(into: T, from: T): void {
  for (const k of Object.keys(into) as (keyof T)[]) (into[k] as unknown as number[]).push(...(from[k] as unknown as number[]));
}

export interface Tables {
  single: ScoreRow<SingleScores>[];
  multi: ScoreRow<MultiScores>[];
}

/**
 * The full tables: rows 'overall', then each query type present, then each match type present. Means are over
 * (query, note) pairs (single) and over queries (multi), pooled across query types, as in eval.py.
 * Queries without any relevant chunk are the caller's to drop (eval.py would fail on them).
 */
export function scoreAll(queries: readonly ScoredQuery[]): Tables {
  const sAll = singleAcc();
  const mAll = multiAcc();
  const sByQt = new Map<QueryType, SingleAcc>();
  const mByQt = new Map<QueryType, MultiAcc>();
  const sByMt = new Map<MatchType, SingleAcc>();
  const mByMt = new Map<MatchType, MultiAcc>();
  for (const q of queries) {
    if (q.relevant.size === 0) continue;
    const s = scoreSingleQuery(q);
    const m = scoreMultiQuery(q);
    concatInto(sAll, s.overall);
    concatInto(mAll, m.overall);
    if (!sByQt.has(q.type)) sByQt.set(q.type, singleAcc());
    if (!mByQt.has(q.type)) mByQt.set(q.type, multiAcc());
    concatInto(sByQt.get(q.type)!, s.overall);
    concatInto(mByQt.get(q.type)!, m.overall);
    for (const [t, a] of s.byMatch) {
      if (!sByMt.has(t)) sByMt.set(t, singleAcc());
      concatInto(sByMt.get(t)!, a);
    }
    for (const [t, a] of m.byMatch) {
      if (!mByMt.has(t)) mByMt.set(t, multiAcc());
      concatInto(mByMt.get(t)!, a);
    }
  }
  const single: ScoreRow<SingleScores>[] = [{ key: 'overall', scores: finishSingle(sAll) }];
  const multi: ScoreRow<MultiScores>[] = [{ key: 'overall', scores: finishMulti(mAll) }];
  for (const qt of QUERY_TYPES) {
    const s = sByQt.get(qt);
    const m = mByQt.get(qt);
    if (s) single.push({ key: qt, scores: finishSingle(s) });
    if (m) multi.push({ key: qt, scores: finishMulti(m) });
  }
  for (const mt of MATCH_TYPES) {
    const s = sByMt.get(mt);
    const m = mByMt.get(mt);
    if (s) single.push({ key: mt, scores: finishSingle(s) });
    if (m) multi.push({ key: mt, scores: finishMulti(m) });
  }
  return { single, multi };
}
