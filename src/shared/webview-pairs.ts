/**
 * Typed messages between the extension host and the pairs review editor (custom editor drehr.pairsReview,
 * bundle webview-ui/pairs). The host owns the review (pairs, label log, order, filter, cursor, undo) and sends a
 * `view` snapshot of the pair under the cursor after every change; the chunk text follows in a `chunk` message
 * once the sidecar answered (cached, prefetched). The webview only draws and turns keys and clicks into
 * requests. Browser-safe: type-only imports, no runtime dependency.
 */
import type { EntityType, EvidenceSpan, Decision, GeneratorName, Suspicion } from './pairs';

export type ReviewOrderName = 'file' | 'sample' | 'suspicious';
export type LabelStateName = 'any' | 'unlabelled' | 'labelled' | Decision;

export interface ReviewFilterView {
  type?: EntityType;
  label?: LabelStateName;
  evidence?: 'explicit' | 'implicit';
  entity?: string;
  generator?: GeneratorName;
}

export interface PairDetails {
  id: string;
  entity: string;
  entityType: EntityType;
  explicit?: boolean;
  generator?: GeneratorName;
  producedBy: string;
  model: string;
  promptVersion: string;
  conceptId?: string;
  evidence: EvidenceSpan[];
  noteId?: string;
  patientId?: string;
  source?: string;
  row?: number;
  suspicion?: Suspicion;
}

/** The chunk of the pair under the cursor: text, or why there is none. Text is note text: draw it as text. */
export type ChunkView =
  | { state: 'loading' }
  | { state: 'ok'; text: string; source?: string; row?: number }
  /** The chunk is gone from the index, or its text changed since the pair was made (hash mismatch). */
  | { state: 'stale'; reason: 'missing' | 'changed'; text?: string; source?: string; row?: number }
  /** No index or no sidecar: the message says what to do. */
  | { state: 'unavailable'; message: string };

export interface ProportionView {
  k: number;
  n: number;
  p: number;
  low: number;
  high: number;
}

export interface NumbersView {
  pairs: number;
  reviewed: number;
  byLabel: Record<Decision, number>;
  sampled: number;
  unsureInSample: number;
  noise?: ProportionView;
  byType: Partial<Record<EntityType, ProportionView>>;
  explicit?: ProportionView;
  implicit?: ProportionView;
  projected?: { pairs: number; noisy: number; low: number; high: number };
  scored: number;
  auc?: number;
  top10?: { k: number; precision: number };
  kappa?: { reviewers: [string, string]; n: number; agreement: number; kappa?: number };
  reviewers: string[];
}

export interface ReviewView {
  /** Cursor in the filtered list, 0-based; size = pairs in the filtered list. */
  position: number;
  size: number;
  order: ReviewOrderName;
  seed: number;
  filter: ReviewFilterView;
  /** Decisions now count for the noise estimate (random-sample order over the whole file). */
  sampling: boolean;
  pair?: PairDetails;
  label?: Decision;
  labelBy?: string;
  /** The pair's current label was given in the random-sample order. */
  labelSampled?: boolean;
  canUndo: boolean;
  numbers: NumbersView;
  reviewer: string;
  scoresAvailable: boolean;
  /**
   * Set while a large file is still being read (characters done of total): the pair shown is from the first
   * page, in file order; decisions wait until the whole file is read and the numbers are not final.
   */
  loading?: { done: number; total: number };
}

export interface ReviewInfo {
  /** The pairs file's name (no folder). */
  file: string;
  labelsFile: string;
  /** Problems loading the pairs, labels and scores (line numbers, never content). */
  notices: string[];
  /** Set when the review cannot write labels (a newer label log): decisions are off. */
  readOnly?: string;
}

/** Host → webview. */
export type PairsReviewToWebview =
  | { type: 'info'; info: ReviewInfo }
  | { type: 'view'; view: ReviewView }
  | { type: 'chunk'; pairId: string; chunk: ChunkView }
  /** A short message in the status line (e.g. "12 pairs labelled noise", "scores unavailable: …"). */
  | { type: 'toast'; text: string };

/** Webview → host. */
export type PairsReviewToHost =
  /** The script runs; `restore` is what the webview kept with setState (the host's own state wins). */
  | { type: 'ready'; restore?: { order: ReviewOrderName; seed: number; filter: ReviewFilterView; pairId?: string } }
  | { type: 'decide'; label: Decision }
  | { type: 'undo' }
  | { type: 'move'; delta: number }
  | { type: 'goto'; position: number }
  | { type: 'setOrder'; order: ReviewOrderName; seed?: number }
  | { type: 'setFilter'; filter: ReviewFilterView }
  /** Decision the whole filtered list; the host asks for confirmation with the count. */
  | { type: 'bulk'; label: Decision }
  /** Open the source note at the chunk. */
  | { type: 'open' }
  /** Compute suspicion scores in the sidecar (drehr/synthScore). */
  | { type: 'score' }
  | { type: 'export' }
  | { type: 'train' };

/** What the webview keeps with setState. */
export interface PairsReviewState {
  order: ReviewOrderName;
  seed: number;
  filter: ReviewFilterView;
  pairId?: string;
  view?: ReviewView;
  help: boolean;
}

const ORDERS: readonly string[] = ['file', 'sample', 'suspicious'];
const LABEL_NAMES: readonly string[] = ['valid', 'noise', 'unsure'];
const LABEL_STATES: readonly string[] = ['any', 'unlabelled', 'labelled', 'valid', 'noise', 'unsure'];
const TYPES: readonly string[] = ['diagnosis', 'procedure', 'drug'];
const GENERATORS: readonly string[] = ['graph', 'llm'];

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const optIn = (x: unknown, values: readonly string[]): boolean => x === undefined || (typeof x === 'string' && values.includes(x));

export function isReviewOrder(x: unknown): x is ReviewOrderName {
  return typeof x === 'string' && ORDERS.includes(x);
}

export function isLabelName(x: unknown): x is Decision {
  return typeof x === 'string' && LABEL_NAMES.includes(x);
}

export function isReviewFilter(x: unknown): x is ReviewFilterView {
  return (
    isObject(x) &&
    optIn(x.type, TYPES) &&
    optIn(x.label, LABEL_STATES) &&
    optIn(x.evidence, ['explicit', 'implicit']) &&
    optIn(x.generator, GENERATORS) &&
    (x.entity === undefined || (typeof x.entity === 'string' && x.entity.length <= 200))
  );
}

/** The host's guard for messages from the review webview. */
export function isPairsReviewToHost(x: unknown): x is PairsReviewToHost {
  if (!isObject(x)) return false;
  switch (x.type) {
    case 'ready': {
      const r = x.restore;
      return r === undefined || (isObject(r) && isReviewOrder(r.order) && Number.isInteger(r.seed) && isReviewFilter(r.filter) && (r.pairId === undefined || typeof r.pairId === 'string'));
    }
    case 'decide':
    case 'bulk':
      return isLabelName(x.label);
    case 'move':
      return Number.isInteger(x.delta);
    case 'goto':
      return Number.isInteger(x.position);
    case 'setOrder':
      return isReviewOrder(x.order) && (x.seed === undefined || (Number.isInteger(x.seed) && (x.seed as number) >= 0));
    case 'setFilter':
      return isReviewFilter(x.filter);
    case 'undo':
    case 'open':
    case 'score':
    case 'export':
    case 'train':
      return true;
    default:
      return false;
  }
}
