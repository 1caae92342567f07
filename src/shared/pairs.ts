/**
 * Synthetic (chunk, entity) pairs for Stage II: the pairs file, the suspicion scores beside it and the label log
 * (docs/CONTRACTS.md "Synthetic pairs"). One declaration for the generator (src/sidecar/synth), the CLI, the review
 * webview and the extension host. Pure: no Node or vscode imports (the webview bundle imports it too).
 *
 * Backward compatible with python/README.md "Stage II data": the first eight keys of `Pair` are the old format;
 * everything else is optional and older readers ignore it.
 */

export type EntityType = 'diagnosis' | 'procedure' | 'drug';
export const ENTITY_TYPES: readonly EntityType[] = ['diagnosis', 'procedure', 'drug'];

export type GeneratorName = 'graph' | 'llm';
export const GENERATORS: readonly GeneratorName[] = ['graph', 'llm'];

/** `produced_by` values written by this version (older files carry other strings, e.g. `mtsamples-keywords:string`). */
export type ProducedBy = 'graph:explicit' | 'graph:hypernym' | 'llm';

/** The current pairs-file format (the `format` key); files without it are format 1 (the trainer's original). */
export const PAIRS_FORMAT = 2;

/** A character range (UTF-16 code units) into the chunk text as the index stores it. */
export interface EvidenceSpan {
  start: number;
  end: number;
}

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export type SuspicionCode =
  | 'low_similarity'
  | 'no_evidence'
  | 'negated'
  | 'family_history'
  | 'hypothetical'
  | 'unknown_to_graph'
  | 'generator_disagreement'
  | 'ambiguous_abbreviation'
  // version 2 (src/sidecar/synth/clinicalNoise.ts)
  | 'lab_value'
  | 'generic_entity'
  | 'chemical_class'
  | 'unsupported'
  | 'stopped_or_allergic';

export const SUSPICION_CODES: readonly SuspicionCode[] = [
  'low_similarity',
  'no_evidence',
  'negated',
  'family_history',
  'hypothetical',
  'unknown_to_graph',
  'generator_disagreement',
  'ambiguous_abbreviation',
  'lab_value',
  'generic_entity',
  'chemical_class',
  'unsupported',
  'stopped_or_allergic',
];

/** Version of the suspicion formula (docs/CONTRACTS.md); a new formula bumps it. */
export const SUSPICION_VERSION = 2;

export interface SuspicionReason {
  code: SuspicionCode;
  /** Never note text: the kind of trigger, a similarity value, the generators that ran. */
  detail: string;
}

export interface Suspicion {
  /** 0 (looks right) .. 1 (most suspicious). */
  score: number;
  reasons: SuspicionReason[];
  version: number;
}

/** One line of a pairs file. */
export interface Pair {
  /** 16 hex: first 16 of SHA-1 of `chunk_id + "\t" + normalizeEntity(entity) + "\t" + entity_type`. */
  id: string;
  chunk_id: string;
  /** SHA-256 hex of the chunk text (a prefix is accepted by readers). */
  chunk_hash: string;
  entity: string;
  /** Readers also accept the older `prescription` (read as `drug`). */
  entity_type: EntityType;
  produced_by: string;
  model: string;
  prompt_version: string;
  // --- format 2 (optional) ---
  format?: number;
  generator?: GeneratorName;
  explicit?: boolean;
  evidence?: EvidenceSpan[];
  concept_id?: string;
  note_id?: string;
  patient_id?: string;
  /** Workspace-relative path of the note's file. */
  source?: string;
  /** 1-based data row of a CSV/JSONL note. */
  row?: number;
  /** SHA-256 hex of the exact prompt template (llm). */
  prompt_sha?: string;
  /** Token counts of the call that produced the pair (llm; on the call's first pair only). */
  usage?: TokenUsage;
  suspicion?: Suspicion;
}

/** One line of `<pairs file name>.suspicion.jsonl`. */
export interface SuspicionLine {
  pair_id: string;
  score: number;
  reasons: SuspicionReason[];
  version: number;
  /** The model whose similarity went into the score. */
  model_id: string;
}

export const SUSPICION_SUFFIX = '.suspicion.jsonl';
export const LABELS_SUFFIX = '.labels.jsonl';

// --- label log (written by the review; declared here so every reader shares it) ---------------------------------

export const LABELS_FORMAT = 'drehr-labels';
export const LABELS_VERSION = 1;

export type Label = 'valid' | 'noise' | 'unsure' | 'unlabel';

export interface LabelsHeader {
  format: typeof LABELS_FORMAT;
  version: number;
}

export interface LabelLine {
  pair_id: string;
  label: Label;
  reviewer: string;
  /** ISO time. */
  time: string;
  /** Set on a decision made in the seeded random-sample order (only those feed the noise-rate estimate). */
  sample?: { seed: number; rank: number };
  /** One id shared by the lines of a bulk decision. */
  bulk?: string;
}

// --- pure helpers ------------------------------------------------------------------------------------------------

/** The entity as it enters the pair id and dedupe: trimmed, lower case, runs of whitespace as one space. */
export function normalizeEntity(entity: string): string {
  return entity.trim().toLowerCase().replace(/\s+/g, ' ');
}

/** `prescription` (the trainer's older name) reads as `drug`; anything else unknown is undefined. */
export function readEntityType(t: unknown): EntityType | undefined {
  if (t === 'prescription') return 'drug';
  return typeof t === 'string' && (ENTITY_TYPES as readonly string[]).includes(t) ? (t as EntityType) : undefined;
}

/**
 * One line of a pairs file → a Pair, or a reason it is not one (the caller names the line number). The required
 * keys must be non-empty strings; the optional ones are kept only when well-typed.
 */
export function parsePairLine(line: string): Pair | { error: string } {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return { error: 'not valid JSON (a truncated or broken line)' };
  }
  return pairFromObject(o);
}

/**
 * A parsed JSON value → a Pair (the same object, completed in place: no copy, so 100k pairs load fast), or a
 * reason it is not one.
 */
export function pairFromObject(o: unknown): Pair | { error: string } {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { error: 'not a JSON object' };
  const r = o as Record<string, unknown>;
  for (const k of ['id', 'chunk_id', 'entity'] as const) {
    if (typeof r[k] !== 'string' || r[k] === '') return { error: `"${k}" is missing or not a string` };
  }
  const type = readEntityType(r.entity_type);
  if (!type) return { error: '"entity_type" is not diagnosis, procedure or drug' };
  for (const k of ['chunk_hash', 'produced_by', 'model', 'prompt_version'] as const) if (typeof r[k] !== 'string') r[k] = '';
  r.entity_type = type;
  const pair = r as unknown as Pair;
  if (pair.evidence !== undefined && !(Array.isArray(pair.evidence) && pair.evidence.every(isSpan))) delete pair.evidence;
  if (pair.explicit !== undefined && typeof pair.explicit !== 'boolean') delete pair.explicit;
  if (pair.generator !== undefined && !(GENERATORS as readonly string[]).includes(pair.generator)) delete pair.generator;
  return pair;
}

function isSpan(s: unknown): s is EvidenceSpan {
  const o = s as EvidenceSpan;
  return typeof o === 'object' && o !== null && Number.isInteger(o.start) && Number.isInteger(o.end) && o.start >= 0 && o.end >= o.start;
}

export interface ParsedPairs {
  pairs: Pair[];
  /** Lines that are not pairs (1-based line number and why); a truncated last line shows up here. */
  broken: Array<{ line: number; reason: string }>;
}

/** A whole pairs file's text → its pairs and the broken lines (the rest loads). Blank lines are skipped. */
export function parsePairsText(text: string): ParsedPairs {
  const pairs: Pair[] = [];
  const broken: ParsedPairs['broken'] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l === '') continue;
    const p = parsePairLine(l);
    if ('error' in p) broken.push({ line: i + 1, reason: p.error });
    else pairs.push(p);
  }
  return { pairs, broken };
}

/** Whether an LLM endpoint is on this machine (localhost, 127.0.0.0/8, ::1): only those are contacted without drehr.llm.allowRemote. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  host = host.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host === '0:0:0:0:0:0:0:1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

// --- the review's names (synth-review) ---------------------------------------------------------------------------

/** A reviewer's decision about a pair (a Label other than `unlabel`). */
export type Decision = Exclude<Label, 'unlabel'>;
export const DECISIONS: readonly Decision[] = ['valid', 'noise', 'unsure'];

/** The label log beside a pairs file: `<pairs file name>.labels.jsonl`. */
export function labelsPathFor(pairsPath: string): string {
  return `${pairsPath}${LABELS_SUFFIX}`;
}

/** The editor's suspicion scores beside a pairs file: `<pairs file name>.suspicion.jsonl`. */
export function suspicionPathFor(pairsPath: string): string {
  return `${pairsPath}${SUSPICION_SUFFIX}`;
}
