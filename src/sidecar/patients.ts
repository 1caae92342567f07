/**
 * Patients ranked by their passages: a passage ranking (best first) grouped by patient, each patient scored
 * with one of the aggregates of src/shared/search.ts (max, sum of top k, reciprocal rank). Pure.
 */
import { PATIENT_RRF_K, PATIENT_TOPK, type PatientAggregate } from '../shared/search';

export interface PatientGroup<T> {
  patientId: string;
  score: number;
  /** The patient's passages in the order of the input ranking (best first). */
  items: T[];
  /** 0-based position in the input ranking of the patient's best passage (the tie-break). */
  firstRank: number;
}

export interface AggregateOptions {
  topK?: number;
  rrfK?: number;
}

/**
 * Groups a passage ranking by patient and ranks the patients. `ranked` must be best first; `score` is read
 * only by `max` and `topk` (`rrf` uses positions). Ties go to the patient whose best passage ranks higher.
 */
export function aggregatePatients<T>(
  ranked: readonly T[],
  patientOf: (item: T) => string,
  scoreOf: (item: T) => number,
  how: PatientAggregate,
  opts: AggregateOptions = {},
): PatientGroup<T>[] {
  const topK = Math.max(1, opts.topK ?? PATIENT_TOPK);
  const rrfK = opts.rrfK ?? PATIENT_RRF_K;
  const groups = new Map<string, PatientGroup<T>>();
  ranked.forEach((item, rank) => {
    const id = patientOf(item);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { patientId: id, score: 0, items: [], firstRank: rank }));
    const s = scoreOf(item);
    switch (how) {
      case 'max':
        g.score = g.items.length === 0 ? s : Math.max(g.score, s);
        break;
      case 'topk':
        // Input is best first, so the first topK items are the patient's best (scores are sorted by the ranker).
        if (g.items.length < topK) g.score += s;
        break;
      case 'rrf':
        g.score += 1 / (rrfK + rank + 1);
        break;
    }
    g.items.push(item);
  });
  return [...groups.values()].sort((a, b) => b.score - a.score || a.firstRank - b.firstRank);
}
