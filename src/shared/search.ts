/**
 * Search contracts shared by the sidecar, the CLI, the extension host and the search webview: how passage
 * scores become patient scores, the filters a search may carry, and their limits. Browser-safe: no runtime
 * imports (the webview bundle uses it).
 */

/**
 * How a patient's passage scores become the patient's score (src/sidecar/patients.ts):
 * - `max`: the score of the patient's best passage;
 * - `topk`: the sum of the patient's best PATIENT_TOPK passage scores (more evidence ranks higher, capped);
 * - `rrf`: reciprocal rank, the sum of 1 / (PATIENT_RRF_K + rank) over all of the patient's ranked passages
 *   (rank in the passage ranking; independent of the score's scale).
 * The default was chosen on mtsamples-dev (bench/PATIENTS.md).
 */
export type PatientAggregate = 'max' | 'topk' | 'rrf';
export const PATIENT_AGGREGATES: readonly PatientAggregate[] = ['max', 'topk', 'rrf'];
export const DEFAULT_PATIENT_AGGREGATE: PatientAggregate = 'max';
export const PATIENT_TOPK = 3;
export const PATIENT_RRF_K = 60;
/** Passages ranked before aggregating (the engine's largest k), so patients are not cut off by a passage top k. */
export const PATIENT_PASSAGE_DEPTH = 1000;
/** Evidence passages returned per patient (the panel expands a patient to these). */
export const DEFAULT_PATIENT_EVIDENCE = 5;

export function isPatientAggregate(x: unknown): x is PatientAggregate {
  return typeof x === 'string' && (PATIENT_AGGREGATES as readonly string[]).includes(x);
}

/**
 * Restrictions applied inside the index query (LanceDB prefilters, before the top k), combined with AND;
 * values inside one list are alternatives (OR). Dates are YYYY-MM-DD, both ends inclusive; a note without a
 * date is left out by any date bound. Folders are workspace-relative ('/' separators).
 */
export interface SearchFilters {
  noteTypes?: string[];
  dateFrom?: string;
  dateTo?: string;
  folders?: string[];
  patientIds?: string[];
}

/** Most values one filter list may hold (a patient list pasted from a cohort). */
export const MAX_FILTER_VALUES = 10000;
