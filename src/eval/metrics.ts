/**
 * Ranking metrics, written to give the same numbers as CliniQ's eval.py (github zhao-zy15/CliniQ):
 * `calculate_mrr`, `calculate_ndcg_at_k`, `recall_at_k` and `average_precision`. Each takes the ranked chunk
 * ids (best first) and the relevant ones. Pure functions, no I/O.
 */

/** Reciprocal rank of the first relevant id; 0 when none is ranked (eval.py `calculate_mrr`). */
export function mrr(ranked: readonly string[], relevant: ReadonlySet<string>): number {
  for (let i = 0; i < ranked.length; i++) if (relevant.has(ranked[i])) return 1 / (i + 1);
  return 0;
}

/** Discounted cumulative gain of binary relevances: sum r_i / log2(i + 2). */
export function dcg(relevances: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < relevances.length; i++) s += relevances[i] / Math.log2(i + 2);
  return s;
}

/**
 * eval.py's `calculate_ndcg_at_k`: the ideal DCG is computed from the relevances of the retrieved top k,
 * sorted, not from all relevant ids. So a top 10 holding one relevant chunk at rank 1 scores 1.0 even if
 * 50 chunks are relevant. Kept for comparability with the paper; see `ndcgAtK` for the standard one.
 */
export function ndcgAtKEvalPy(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  const rel = ranked.slice(0, k).map((id) => (relevant.has(id) ? 1 : 0));
  if (!rel.includes(1)) return 0;
  const ideal = [...rel].sort((a, b) => b - a);
  return dcg(rel) / dcg(ideal);
}

/** Standard nDCG@k: the ideal ranking puts min(|relevant|, k) relevant ids first. */
export function ndcgAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  const rel = ranked.slice(0, k).map((id) => (relevant.has(id) ? 1 : 0));
  const idealCount = Math.min(relevant.size, k);
  if (idealCount === 0) return 0;
  return dcg(rel) / dcg(new Array<number>(idealCount).fill(1));
}

/** Share of all relevant ids found in the top k (eval.py `recall_at_k`); 0 when nothing is relevant. */
export function recallAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  if (relevant.size === 0) return 0;
  let hits = 0;
  for (const id of ranked.slice(0, k)) if (relevant.has(id)) hits++;
  return hits / relevant.size;
}

/**
 * Average precision over the whole ranking (eval.py `average_precision`): relevant ids missing from the
 * ranking still count in the denominator.
 */
export function averagePrecision(ranked: readonly string[], relevant: ReadonlySet<string>): number {
  if (relevant.size === 0) return 0;
  let score = 0;
  let hits = 0;
  for (let i = 0; i < ranked.length; i++) {
    if (relevant.has(ranked[i])) {
      hits++;
      score += hits / (i + 1);
    }
  }
  return score / relevant.size;
}

/** Arithmetic mean; 0 for an empty list (the report shows n = 0 as "n/a"). */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}
