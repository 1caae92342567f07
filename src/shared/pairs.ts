/**
 * Synthetic (chunk, entity) pairs and their label log: the formats of issue 7 (docs/CONTRACTS.md "Synthetic
 * pairs" and "Labels"), shared by generation and scoring (synth-gen) and the review editor (synth-review).
 * Browser-safe: no runtime imports.
 */

export type EntityType = 'diagnosis' | 'procedure' | 'drug';
export const ENTITY_TYPES: readonly EntityType[] = ['diagnosis', 'procedure', 'drug'];
export type PairGenerator = 'graph' | 'llm';
export const PAIR_GENERATORS: readonly PairGenerator[] = ['graph', 'llm'];

/** A character range (UTF-16 code units) into the chunk text as the index stores it. */
export interface EvidenceSpan {
  start: number;
  end: number;
}

/** Stable reason codes of the suspicion score. */
export type SuspicionReasonCode =
  | 'low_similarity'
  | 'no_evidence'
  | 'negated'
  | 'family_history'
  | 'hypothetical'
  | 'unknown_to_graph'
  | 'generator_disagreement'
  | 'ambiguous_abbreviation';

export interface SuspicionReason {
  code: SuspicionReasonCode | string;
  /** Never note text (a trigger class at most). */
  detail: string;
}

export interface Suspicion {
  /** 0..1, higher = more likely noise. */
  score: number;
  reasons: SuspicionReason[];
  version: 1;
}

/** One line of a pairs JSONL. The first eight keys are required (python/README.md "Stage II data"). */
export interface Pair {
  /** First 16 hex of SHA-1 of `chunk_id + "\t" + normalized entity + "\t" + entity_type`. */
  id: string;
  chunk_id: string;
  /** SHA-256 hex of the chunk text (a prefix is accepted). */
  chunk_hash: string;
  entity: string;
  /** Readers accept the older "prescription" as "drug". */
  entity_type: EntityType;
  produced_by: string;
  model: string;
  prompt_version: string;
  format?: 2;
  generator?: PairGenerator;
  explicit?: boolean;
  evidence?: EvidenceSpan[];
  concept_id?: string;
  note_id?: string;
  patient_id?: string;
  /** Workspace-relative path of the source note. */
  source?: string;
  /** 1-based data row of a CSV/JSONL note. */
  row?: number;
  prompt_sha?: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
  suspicion?: Suspicion;
}

/** One line of `<pairs file name>.suspicion.jsonl`. */
export interface SuspicionLine {
  pair_id: string;
  score: number;
  reasons: SuspicionReason[];
  version: 1;
  model_id: string;
}

// ---------------------------------------------------------------------------------------------------------
// Label log: `<pairs file name>.labels.jsonl`, append-only.
// ---------------------------------------------------------------------------------------------------------

export const LABELS_FORMAT = 'drehr-labels';
/** The label log version this code writes and the newest it reads. */
export const LABELS_VERSION = 1;

export interface LabelHeader {
  format: typeof LABELS_FORMAT;
  version: number;
}

export type Label = 'valid' | 'noise' | 'unsure';
export const LABELS: readonly Label[] = ['valid', 'noise', 'unsure'];
/** `unlabel` makes the pair unlabelled again (undo). */
export type LabelAction = Label | 'unlabel';

export interface LabelSample {
  seed: number;
  /** The pair's position in the seeded random order of the whole file. */
  rank: number;
}

export interface LabelLine {
  pair_id: string;
  label: LabelAction;
  reviewer: string;
  /** ISO 8601. */
  time: string;
  /** Set when the decision was made in the seeded random-sample order: only these feed the noise estimate. */
  sample?: LabelSample;
  /** Shared by the lines of one bulk decision. */
  bulk?: string;
}

/** The label log beside a pairs file. */
export function labelsPathFor(pairsPath: string): string {
  return `${pairsPath}.labels.jsonl`;
}

/** The editor's suspicion scores beside a pairs file. */
export function suspicionPathFor(pairsPath: string): string {
  return `${pairsPath}.suspicion.jsonl`;
}
