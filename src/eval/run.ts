/**
 * Runs a benchmark: for each ranker, rank every scorable query over the corpus, derive each relevant note's
 * ranking, and score the lot (score.ts). The rankers are functions from a query to ranked chunk ids; the
 * engine adapter (engineRanker.ts) provides them, the unit tests supply their own.
 */
import type { RankerName, RankerResult } from '../shared/webview-eval';
import type { Benchmark } from './benchmark';
import { singleGroups, type Corpus } from './corpus';
import { completeRanking, relevantNotes, scoreAll, type ScoredQuery } from './score';
import type { SingleUnit } from './benchmark';

export interface Ranker {
  name: RankerName;
  modelId?: string;
  /** Ranked chunk ids, best first; `within` restricts the ranking to one note or one patient. */
  rank(query: string, k: number, within?: { noteId: string } | { patientId: string }): Promise<string[]>;
}

export interface RunOptions {
  /** Depth of the corpus ranking; eval.py ranks the whole corpus, so use at least the corpus size when you can. */
  depth: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message: string) => void;
}

export class Cancelled extends Error {
  constructor() {
    super('Evaluation cancelled');
  }
}

/**
 * Single-patient rankings come from the corpus ranking filtered to the note (as in eval.py) when that
 * ranking covers the whole corpus; otherwise from a search restricted to the note (engine's noteId filter).
 * Either way `completeRanking` appends the note's chunks the ranker did not return.
 */
export async function runRanker(bench: Benchmark, corpus: Corpus, ranker: Ranker, opts: RunOptions, indexSeconds = 0): Promise<RankerResult> {
  const t0 = Date.now();
  const scorable = [...bench.queries.values()].filter((q) => (bench.qrels.get(q.id)?.size ?? 0) > 0);
  const depth = Math.max(1, opts.depth);
  const wholeCorpus = depth >= corpus.chunkCount;
  const unit: SingleUnit = bench.meta.single ?? 'note';
  const { groups, groupOf } = singleGroups(corpus, unit);
  const scored: ScoredQuery[] = [];
  let done = 0;
  for (const q of scorable) {
    if (opts.signal?.aborted) throw new Cancelled();
    const relevant = bench.qrels.get(q.id)!;
    const ranking = await ranker.rank(q.text, depth);
    const notes = new Map<string, string[]>();
    const wanted = new Set([...relevant.keys()].map((c) => groupOf.get(c)).filter((g): g is string => g !== undefined));
    for (const g of wanted) {
      const chunks = groups.get(g)!;
      const within = unit === 'patient' ? { patientId: g } : { noteId: g };
      const groupRanking = wholeCorpus ? ranking : await ranker.rank(q.text, Math.min(chunks.length, depth), within);
      notes.set(g, completeRanking(groupRanking, chunks));
    }
    scored.push({ queryId: q.id, type: q.type, relevant, corpus: ranking, notes });
    done++;
    opts.onProgress?.(done, scorable.length, `${ranker.name}: ${done}/${scorable.length} queries`);
  }
  const tables = scoreAll(scored);
  const result: RankerResult = {
    ranker: ranker.name,
    single: tables.single,
    multi: tables.multi,
    rankSeconds: (Date.now() - t0) / 1000,
    indexSeconds,
  };
  if (ranker.modelId) result.modelId = ranker.modelId;
  return result;
}

/** Count of (query, note) pairs single-patient retrieval may score (before the length and all-relevant skips). */
export function candidatePairs(bench: Benchmark): number {
  let n = 0;
  for (const m of bench.qrels.values()) n += relevantNotes(m.keys()).length;
  return n;
}
