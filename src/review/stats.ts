/**
 * The review's numbers, pure: Wilson score interval, noise rate on the random-sample reviews, projected noisy
 * pairs, ROC AUC and top-10% precision of the suspicion score, Cohen's kappa between two reviewers.
 * Unit-tested against hand-computed values (test/unit/review/stats.test.ts).
 */
import type { Decision } from '../shared/pairs';

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

export interface Proportion extends Interval {
  /** Successes (here: pairs labelled noise). */
  k: number;
  /** Trials (pairs labelled valid or noise). */
  n: number;
  p: number;
}

/** Wilson score interval for k successes out of n; undefined for n = 0. */
export function wilson(k: number, n: number, z = Z95): Proportion | undefined {
  if (!(n > 0) || k < 0 || k > n) return undefined;
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { k, n, p, low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/** What the noise estimate needs of a reviewed pair. */
export interface ReviewedPair {
  label: Decision;
  entityType: string;
  explicit: boolean | undefined;
  /** The decision was made in the seeded random-sample order. */
  sampled: boolean;
  /** Suspicion score, when the pair has one. */
  score?: number;
}

export interface NoiseEstimate {
  /** Over valid + noise decisions of the random sample (unsure ones are counted apart, not in n). */
  overall: Proportion | undefined;
  unsure: number;
  byType: Record<string, Proportion | undefined>;
  byEvidence: { explicit: Proportion | undefined; implicit: Proportion | undefined };
  /** Noise rate × pairs in the file, with the interval scaled the same way. */
  projected: { pairs: number; noisy: number; low: number; high: number } | undefined;
}

function proportion(rows: readonly ReviewedPair[]): Proportion | undefined {
  let k = 0;
  let n = 0;
  for (const r of rows) {
    if (r.label === 'unsure') continue;
    n++;
    if (r.label === 'noise') k++;
  }
  return wilson(k, n);
}

/** Noise rate from the random-sample reviews only; `totalPairs` is the size of the whole file. */
export function noiseEstimate(reviewed: readonly ReviewedPair[], totalPairs: number, types: readonly string[]): NoiseEstimate {
  const sample = reviewed.filter((r) => r.sampled);
  const overall = proportion(sample);
  const byType: Record<string, Proportion | undefined> = {};
  for (const t of types) byType[t] = proportion(sample.filter((r) => r.entityType === t));
  return {
    overall,
    unsure: sample.filter((r) => r.label === 'unsure').length,
    byType,
    byEvidence: { explicit: proportion(sample.filter((r) => r.explicit === true)), implicit: proportion(sample.filter((r) => r.explicit === false)) },
    projected: overall
      ? { pairs: totalPairs, noisy: Math.round(overall.p * totalPairs), low: Math.round(overall.low * totalPairs), high: Math.round(overall.high * totalPairs) }
      : undefined,
  };
}

/**
 * ROC AUC of a score for separating positives (true) from negatives: the probability that a random positive
 * scores above a random negative, ties counting one half (Mann-Whitney U with mid-ranks). Undefined without
 * at least one of each.
 */
export function rocAuc(items: readonly { score: number; positive: boolean }[]): number | undefined {
  const pos = items.filter((i) => i.positive).length;
  const neg = items.length - pos;
  if (pos === 0 || neg === 0) return undefined;
  const sorted = [...items].sort((a, b) => a.score - b.score);
  let rankSumPos = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1].score === sorted[i].score) j++;
    const midRank = (i + j) / 2 + 1; // 1-based
    for (let t = i; t <= j; t++) if (sorted[t].positive) rankSumPos += midRank;
    i = j + 1;
  }
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Precision among the `fraction` highest-scored items (k = ceil(fraction × n)). Ties at the cut are shared
 * out evenly: the expected precision when ties are broken at random, so the result does not depend on file
 * order.
 */
export function precisionAtTop(items: readonly { score: number; positive: boolean }[], fraction = 0.1): { k: number; precision: number } | undefined {
  if (items.length === 0) return undefined;
  const k = Math.max(1, Math.ceil(fraction * items.length - 1e-9));
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const cut = sorted[k - 1].score;
  let above = 0;
  let aboveNoise = 0;
  let at = 0;
  let atNoise = 0;
  for (const it of sorted) {
    if (it.score > cut) {
      above++;
      if (it.positive) aboveNoise++;
    } else if (it.score === cut) {
      at++;
      if (it.positive) atNoise++;
    }
  }
  const expected = aboveNoise + ((k - above) * atNoise) / at;
  return { k, precision: expected / k };
}

export interface Kappa {
  reviewers: [string, string];
  /** Pairs both reviewers labelled. */
  n: number;
  /** Observed agreement. */
  agreement: number;
  kappa: number | undefined;
}

/** Cohen's kappa over the categories valid / noise / unsure for two raters' labels of the same items. */
export function cohenKappa(pairs: readonly [Decision, Decision][]): { agreement: number; kappa: number | undefined } | undefined {
  const n = pairs.length;
  if (n === 0) return undefined;
  const cats: Decision[] = ['valid', 'noise', 'unsure'];
  let agree = 0;
  const a = new Map<Decision, number>();
  const b = new Map<Decision, number>();
  for (const [x, y] of pairs) {
    if (x === y) agree++;
    a.set(x, (a.get(x) ?? 0) + 1);
    b.set(y, (b.get(y) ?? 0) + 1);
  }
  const po = agree / n;
  let pe = 0;
  for (const c of cats) pe += ((a.get(c) ?? 0) / n) * ((b.get(c) ?? 0) / n);
  // Both raters used one single category: kappa is undefined (0/0).
  return { agreement: po, kappa: pe >= 1 ? undefined : (po - pe) / (1 - pe) };
}

/**
 * Kappa between the two reviewers who labelled the most pairs in common; `byReviewer` maps reviewer → pair
 * id → that reviewer's current label. Undefined when no pair has two reviewers.
 */
export function reviewerKappa(byReviewer: ReadonlyMap<string, ReadonlyMap<string, Decision>>): Kappa | undefined {
  const names = [...byReviewer.keys()].sort();
  let best: { a: string; b: string; items: [Decision, Decision][] } | undefined;
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const la = byReviewer.get(names[i])!;
      const lb = byReviewer.get(names[j])!;
      const items: [Decision, Decision][] = [];
      for (const [id, x] of la) {
        const y = lb.get(id);
        if (y) items.push([x, y]);
      }
      if (items.length > 0 && (!best || items.length > best.items.length)) best = { a: names[i], b: names[j], items };
    }
  }
  if (!best) return undefined;
  const k = cohenKappa(best.items)!;
  return { reviewers: [best.a, best.b], n: best.items.length, agreement: k.agreement, kappa: k.kappa };
}

/** The suspicion score's separation of noise from valid on reviewed pairs (any order) that have a score. */
export function scoreQuality(reviewed: readonly ReviewedPair[]): { n: number; auc: number | undefined; top10: { k: number; precision: number } | undefined } {
  const items = reviewed
    .filter((r): r is ReviewedPair & { score: number } => r.label !== 'unsure' && typeof r.score === 'number' && Number.isFinite(r.score))
    .map((r) => ({ score: r.score, positive: r.label === 'noise' }));
  return { n: items.length, auc: rocAuc(items), top10: precisionAtTop(items, 0.1) };
}
