/**
 * The suspicion score of a pair: how likely it is noise, so the review can show the suspicious pairs first.
 * Pure (the similarities are computed by the caller: scoreService.ts; the reasons by scoreService.ts and
 * clinicalNoise.ts). Formula (docs/CONTRACTS.md "Suspicion", src/sidecar/synth/README.md), version
 * SUSPICION_VERSION (2):
 *
 *   score = 1 - (1 - s·d) · Π over the pair's reasons r other than low_similarity (1 - w_r)
 *
 * where d in [0, 1] is the pair's similarity rank from the bottom within the file (d = 1 for the least similar
 * pair, 0 for the most similar; ties share a rank), so the score is a noisy-OR of independent signals. The weights
 * s and w (WEIGHTS below) are calibrated on hand-labelled pairs (bench/suspicionCalibrationBench.ts, results in
 * bench/SYNTH.md); PRIOR_WEIGHTS are the hand-set ones they were pulled towards. The low_similarity reason is listed
 * for the bottom 20% (d >= 0.8). Ranks, not raw cosines, because a model's cosine scale is its own (an untrained
 * model's cosines all sit near 1). A pair without a similarity (a stale chunk) gets d = 0.5.
 */
import { SUSPICION_VERSION, type Suspicion, type SuspicionCode, type SuspicionReason } from '../../shared/pairs';

export type ReasonCode = Exclude<SuspicionCode, 'low_similarity'>;
export type Weights = Record<ReasonCode, number>;

/** The hand-set weights, before calibration: the prior the calibration is pulled towards (bench/suspicionCalibrationBench.ts). */
export const PRIOR_WEIGHTS: Weights = {
  no_evidence: 0.6,
  negated: 0.6,
  family_history: 0.5,
  hypothetical: 0.4,
  unknown_to_graph: 0.3,
  generator_disagreement: 0.3,
  ambiguous_abbreviation: 0.3,
  lab_value: 0.6,
  generic_entity: 0.4,
  chemical_class: 0.5,
  unsupported: 0.5,
  stopped_or_allergic: 0.5,
};
export const PRIOR_SIMILARITY_WEIGHT = 0.5;

/**
 * The shipped weights: fitted on the 184 hand-labelled demo pairs (bench/suspicionCalibrationBench.ts, results in
 * bench/SYNTH.md) and rounded to 0.05, except generic_entity (see the README: the demo labels count generic
 * hypernyms valid by their rule 2; the weight kept is a policy, not a fit). Reasons the labels never show keep
 * their prior.
 */
export const WEIGHTS: Weights = {
  no_evidence: 0.6,
  negated: 0.95,
  family_history: 0.5,
  hypothetical: 0.4,
  unknown_to_graph: 0.3,
  generator_disagreement: 0.3,
  ambiguous_abbreviation: 0.3,
  lab_value: 0.95,
  generic_entity: 0.3,
  chemical_class: 0.95,
  unsupported: 0.5,
  stopped_or_allergic: 0.5,
};
export const SIMILARITY_WEIGHT = 0.1;
export const LOW_SIMILARITY_RANK = 0.8;

/** Rank from the bottom in [0, 1] of each value (1 = lowest); undefined stays undefined. Ties share the mean rank. */
export function bottomRanks(values: ReadonlyArray<number | undefined>): Array<number | undefined> {
  const idx = values.map((v, i) => [v, i] as const).filter((x): x is readonly [number, number] => x[0] !== undefined).sort((a, b) => a[0] - b[0]);
  const out = new Array<number | undefined>(values.length).fill(undefined);
  const n = idx.length;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && idx[j + 1][0] === idx[i][0]) j++;
    const mean = (i + j) / 2;
    const d = n === 1 ? 0.5 : 1 - mean / (n - 1);
    for (let k = i; k <= j; k++) out[idx[k][1]] = d;
    i = j + 1;
  }
  return out;
}

export interface SuspicionInput {
  /** Similarity rank from the bottom (bottomRanks), undefined when the chunk is stale. */
  rank?: number;
  similarity?: number;
  reasons: SuspicionReason[];
}

export function suspicionOf(x: SuspicionInput, weights: Weights = WEIGHTS, similarityWeight = SIMILARITY_WEIGHT): Suspicion {
  const reasons = [...x.reasons];
  const d = x.rank ?? 0.5;
  if (x.rank !== undefined && x.rank >= LOW_SIMILARITY_RANK) {
    reasons.push({ code: 'low_similarity', detail: `similarity ${x.similarity?.toFixed(3) ?? '?'}: in the least similar ${Math.max(1, Math.round((1 - x.rank) * 100))}% of the file's pairs` });
  }
  let keep = 1 - similarityWeight * d;
  for (const r of x.reasons) if (r.code !== 'low_similarity') keep *= 1 - weights[r.code];
  const weight = (r: SuspicionReason): number => (r.code === 'low_similarity' ? similarityWeight * d : weights[r.code]);
  reasons.sort((a, b) => weight(b) - weight(a));
  return { score: Math.round((1 - keep) * 10000) / 10000, reasons, version: SUSPICION_VERSION };
}
