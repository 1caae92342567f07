/**
 * Fusion of ranked lists. Pure.
 *
 * - `reciprocalRankFusion` (Cormack et al. 2009): score = sum of 1 / (k + rank); equal weights.
 * - `fuse` with a `FusionSpec`: weighted RRF (sum of w_i / (k + rank_i)) or score-normalized fusion
 *   (sum of w_i * norm_i(score), norm = min-max or z-score over each list; an item a list did not return
 *   counts that list's floor: 0 after min-max, the list's minimum z after z-score).
 *
 * The hybrid search fuses [dense, bm25] with `HYBRID_FUSION` (measured in bench/FUSION.md).
 */

export const RRF_K = 60;

export interface Fused<T> {
  item: T;
  score: number;
  /** Indices of the lists that held the item. */
  from: number[];
}

export function reciprocalRankFusion<T>(lists: readonly (readonly T[])[], key: (item: T) => string, k = RRF_K): Fused<T>[] {
  return fuse(lists, key, () => 0, { kind: 'rrf', k, weights: lists.map(() => 1) });
}

/** How to fuse lists; `weights[i]` weighs list i (missing weights count 1). */
export type FusionSpec = { kind: 'rrf'; k: number; weights: number[] } | { kind: 'minmax' | 'zscore'; weights: number[] };

/** The hybrid search's fusion of [dense, bm25] (the choice and its measurements: bench/FUSION.md). */
export const HYBRID_FUSION: FusionSpec = { kind: 'rrf', k: RRF_K, weights: [1, 1] };

function normalizer(scores: number[], kind: 'minmax' | 'zscore'): { norm: (s: number) => number; floor: number } {
  if (!scores.length) return { norm: () => 0, floor: 0 };
  if (kind === 'minmax') {
    const lo = Math.min(...scores);
    const hi = Math.max(...scores);
    const span = hi - lo;
    return { norm: (s) => (span > 0 ? (s - lo) / span : 1), floor: 0 };
  }
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const sd = Math.sqrt(scores.reduce((a, b) => a + (b - mean) * (b - mean), 0) / scores.length);
  const norm = (s: number): number => (sd > 0 ? (s - mean) / sd : 0);
  return { norm, floor: norm(Math.min(...scores)) };
}

/**
 * Fuses ranked lists (best first) by `spec`; `score` reads an item's own score (used by the score-normalized
 * kinds only). Duplicates within a list count once (their first rank). Ties break by key, so the result is stable.
 */
export function fuse<T>(lists: readonly (readonly T[])[], key: (item: T) => string, score: (item: T) => number, spec: FusionSpec): Fused<T>[] {
  const byKey = new Map<string, Fused<T>>();
  const w = (i: number): number => spec.weights[i] ?? 1;
  const firsts = lists.map((list) => {
    const seen = new Set<string>();
    return list.filter((item) => {
      const id = key(item);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  });
  const norms = spec.kind === 'rrf' ? [] : firsts.map((list) => normalizer(list.map(score), spec.kind));
  firsts.forEach((list, li) => {
    list.forEach((item, rank) => {
      const id = key(item);
      const f = byKey.get(id) ?? { item, score: 0, from: [] };
      f.score += spec.kind === 'rrf' ? w(li) / (spec.k + rank + 1) : w(li) * norms[li]!.norm(score(item));
      f.from.push(li);
      byKey.set(id, f);
    });
  });
  if (spec.kind !== 'rrf') {
    // An item a list did not return gets that list's floor (min-max: 0; z-score: the list's lowest z).
    for (const f of byKey.values()) {
      lists.forEach((_l, li) => {
        if (!f.from.includes(li)) f.score += w(li) * norms[li]!.floor;
      });
    }
  }
  return [...byKey.values()].sort((a, b) => b.score - a.score || key(a.item).localeCompare(key(b.item)));
}

/** "rrf", "rrf:k=20,w=0.6", "minmax:w=0.4", "zscore:w=0.5": w is the first list's (dense) weight, 1 - w the second's;
 * without w, equal weights of 1. Throws on anything else. */
export function parseFusion(text: string): FusionSpec {
  const [kind, rest = ''] = text.trim().split(':', 2) as [string, string?];
  const opts = new Map<string, number>();
  for (const part of rest.split(',').filter(Boolean)) {
    const [k, v] = part.split('=', 2);
    const n = Number(v);
    if (!k || v === undefined || !Number.isFinite(n)) throw new Error(`fusion "${text}": "${part}" is not name=number`);
    opts.set(k.trim(), n);
  }
  for (const k of opts.keys()) if (k !== 'k' && k !== 'w') throw new Error(`fusion "${text}": unknown option ${k} (k, w)`);
  const wd = opts.get('w');
  if (wd !== undefined && !(wd >= 0 && wd <= 1)) throw new Error(`fusion "${text}": w is the dense weight, from 0 to 1`);
  const weights = wd === undefined ? [1, 1] : [wd, 1 - wd];
  if (kind === 'rrf') {
    const k = opts.get('k') ?? RRF_K;
    if (!(k >= 0)) throw new Error(`fusion "${text}": k must be 0 or more`);
    return { kind, k, weights };
  }
  if (kind === 'minmax' || kind === 'zscore') {
    if (opts.has('k')) throw new Error(`fusion "${text}": k applies to rrf only`);
    return { kind, weights };
  }
  throw new Error(`fusion "${text}": the kind is rrf, minmax or zscore`);
}

/** A short label: "rrf k=60", "rrf k=60 w=0.60", "minmax w=0.40". */
export function fusionLabel(spec: FusionSpec): string {
  const equal = spec.weights.length === 2 && spec.weights[0] === spec.weights[1];
  const w = equal ? '' : ` w=${(spec.weights[0]! / (spec.weights[0]! + spec.weights[1]!)).toFixed(2)}`;
  return spec.kind === 'rrf' ? `rrf k=${spec.k}${w}` : `${spec.kind}${w}`;
}
