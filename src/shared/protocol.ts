/**
 * The sidecar protocol: every JSON-RPC request and notification between the extension host (client) and the
 * sidecar process (server), declared once with its types. Both sides import this file; nothing else may send a
 * message that is not declared here.
 *
 * Transport: vscode-jsonrpc over the sidecar's stdio. Requests are cancellable (the host passes VS Code's
 * CancellationToken; the sidecar checks it between batches and drops stale searches). Long work reports
 * progress with the `drehr/progress` notification, correlated by the `workId` the caller chose.
 *
 * This file must stay free of runtime imports other than vscode-jsonrpc's message types, so the extension
 * bundle does not pull sidecar code.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { PatientAggregate, SearchFilters } from './search';

// ---------------------------------------------------------------------------------------------------------
// Shared value types
// ---------------------------------------------------------------------------------------------------------

export type Device = 'auto' | 'cpu' | 'cuda';
/** Which graph of the model folder runs: 'auto' = the int8 graph when the folder has one and the encoder runs on CPU. */
export type Precision = 'auto' | 'fp32' | 'int8';
export const PRECISIONS: readonly Precision[] = ['auto', 'fp32', 'int8'];
export type { SearchMode } from './defaults';
import type { SearchMode } from './defaults';
/** drehr.engine: onnxruntime in the sidecar, the trainer's PyTorch encoder in a Python child, or auto (torch when
 * that Python has PyTorch with a usable CUDA GPU, else onnx). */
export type EngineChoice = 'auto' | 'onnx' | 'torch';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'onnx', 'torch'];

/** Column mapping for CSV/JSONL exports: each value is a column name, or '' to use the built-in guesses. */
export interface ColumnMapping {
  text: string;
  patientId: string;
  noteId: string;
  noteType: string;
  date: string;
}

export interface ChunkingOptions {
  /** Words per chunk (the paper: 100). */
  words: number;
  /** Words shared by consecutive chunks (the paper: 10). */
  overlap: number;
  /** Chunks shorter than this are dropped unless they are the note's only chunk (the paper: 50). */
  minWords: number;
}

/** Everything the sidecar needs to know about the workspace; sent at start and whenever a setting changes. */
export interface EngineConfig {
  /** Absolute path of the workspace folder whose notes are indexed. */
  workspaceRoot: string;
  /** Absolute path (or LanceDB URI) of the index. */
  indexLocation: string;
  /** Absolute path of the model folder (config.json, tokenizer.json, onnx/model.onnx, drehr.json). */
  modelDir: string;
  device: Device;
  /** Absent: 'auto'. A change re-embeds the index (int8 vectors differ from fp32 ones). */
  precision?: Precision;
  /** Which engine runs the model (default auto). */
  engine?: EngineChoice;
  /** The Python interpreter for the torch engine (default python3), found as the training commands find it. */
  python?: string;
  include: string[];
  exclude: string[];
  columns: ColumnMapping;
  chunking: ChunkingOptions;
  /** Notes larger than this many bytes are skipped with a problem report. */
  maxFileBytes: number;
  /** Expand queries with synonyms/abbreviations from the model's lexicon when it ships one. */
  queryExpansion: boolean;
}

export interface ModelInfo {
  id: string;
  name: string;
  dir: string;
  dim: number;
  pooling: 'cls' | 'mean';
  trained: boolean;
  /** Which execution provider actually runs the model ('cpu' or 'cuda'). */
  device: 'cpu' | 'cuda';
  /** Which graph runs: the fp32 ONNX or the dynamically quantized int8 one (drehr.json "onnx_int8"). */
  precision: 'fp32' | 'int8';
  /** Which engine runs the model: onnxruntime in the sidecar or PyTorch in a Python child (absent: onnx). */
  engine?: 'onnx' | 'torch';
  /** The torch engine's compute precision (fp32, fp16, bf16) and the GPU's name. */
  dtype?: string;
  gpu?: string;
  description?: string;
}

export type IndexState = 'missing' | 'empty' | 'ready' | 'stale' | 'indexing' | 'corrupt';

export interface IndexStatus {
  state: IndexState;
  location: string;
  notes: number;
  chunks: number;
  patients: number;
  /** Model id the index was embedded with (undefined when empty). */
  modelId?: string;
  /** True when the index was built with another model than the loaded one: a re-embed is needed. */
  modelMismatch: boolean;
  hasAnnIndex: boolean;
  hasFtsIndex: boolean;
  lastIndexedAt?: string;
  /** Human-readable reason for 'corrupt' or 'stale'. */
  detail?: string;
}

/** A file or row that could not be indexed, or was indexed only in part. Never contains note text. */
export interface Problem {
  path: string;
  /** 1-based data row for CSV/JSONL sources. */
  row?: number;
  severity: 'error' | 'warning';
  /** What went wrong and what to do about it. */
  message: string;
}

export interface Highlight {
  start: number;
  end: number;
}

export interface SearchHit {
  chunkId: string;
  noteId: string;
  patientId: string;
  noteType?: string;
  date?: string;
  /** Workspace-relative path of the source file. */
  sourcePath: string;
  /** 1-based data row when the note is a row of a CSV/JSONL export. */
  row?: number;
  /** Character range of the chunk: in the file for .txt/.md, in the note's text field for a row. */
  charStart: number;
  charEnd: number;
  score: number;
  /** Which rankers found the chunk. */
  matchedBy: SearchMode[];
  /** A short excerpt of the chunk, with character ranges (into `snippet`) of the query's words and matched expansions. */
  snippet: string;
  highlights: Highlight[];
  /** The query's expansions that occur in this chunk (HTN for hypertension). */
  matchedExpansions?: string[];
}

// ---------------------------------------------------------------------------------------------------------
// Errors: the sidecar rejects requests with these codes; `data` carries the typed details.
// ---------------------------------------------------------------------------------------------------------

export { ErrorCodes } from './errorCodes';

export interface ModelErrorData {
  modelDir: string;
  /** The file that is missing or broken, relative to the model folder. */
  file: string;
  reason: string;
}

// ---------------------------------------------------------------------------------------------------------
// Requests (host → sidecar)
// ---------------------------------------------------------------------------------------------------------

export interface InitializeResult {
  sidecarVersion: string;
  model: ModelInfo;
  index: IndexStatus;
}

/** Host → sidecar, first message and after every relevant settings change. Loads the model, opens the index. */
export const Initialize = new RequestType<EngineConfig, InitializeResult, void>('drehr/initialize');

export interface IndexParams {
  /** Correlates `drehr/progress` notifications. */
  workId: string;
  /** Drop the index and embed everything again. */
  rebuild?: boolean;
  /**
   * Limit the run to these absolute paths (files or folders), e.g. from the file watcher. A path that no
   * longer exists removes its rows. Undefined means the whole workspace.
   */
  paths?: string[];
}

export interface IndexResult {
  filesScanned: number;
  filesIndexed: number;
  filesUnchanged: number;
  filesRemoved: number;
  chunksAdded: number;
  chunksRemoved: number;
  problems: Problem[];
  cancelled: boolean;
  durationMs: number;
  status: IndexStatus;
}

/** Host → sidecar. Index (incrementally) the workspace or some paths. Cancellable; progress via `drehr/progress`. */
export const IndexWorkspace = new RequestType<IndexParams, IndexResult, void>('drehr/index');

export interface SearchParams {
  query: string;
  k: number;
  mode: SearchMode;
  /** Restrict to one patient (single-patient retrieval). */
  patientId?: string;
  /** Restrict to one note (used by the evaluation's single-patient ranking). */
  noteId?: string;
  /** Overrides EngineConfig.queryExpansion for this request. */
  expand?: boolean;
  /** Restrictions applied in the index query (src/shared/search.ts). */
  filters?: SearchFilters;
  /** Expansion forms (as listed in SearchResult.expansions) not to search this time: the panel's switched-off chips. */
  disabledExpansions?: string[];
}

/** "Did you mean": the query with its misspelled words corrected (src/sidecar/expansion/spelling.ts). */
export interface SpellingSuggestion {
  query: string;
  corrections: Array<{ from: string; to: string }>;
}

export interface SearchResult {
  hits: SearchHit[];
  /** Terms the query was expanded with (shown to the user as "also searched: …"). */
  expansions: string[];
  /** Expansions that were switched off for this search (disabledExpansions that the query would have added). */
  disabledExpansions?: string[];
  /** Words of the query that neither the index nor the lexicon knows, corrected (absent when none). */
  suggestion?: SpellingSuggestion;
  tookMs: number;
}

export interface PatientSearchParams extends SearchParams {
  /** How passage scores become a patient score; default DEFAULT_PATIENT_AGGREGATE. `k` counts patients. */
  aggregate?: PatientAggregate;
  /** Evidence passages per patient (default DEFAULT_PATIENT_EVIDENCE). */
  evidence?: number;
}

export interface PatientHit {
  patientId: string;
  /** The aggregated score (its scale depends on the aggregate and the mode); `rank` is 1-based. */
  score: number;
  rank: number;
  /** Passages of this patient among the ranked passages, and the notes they come from. */
  passages: number;
  notes: number;
  /** The patient's best passages, best first (at most `evidence`). */
  evidence: SearchHit[];
  /** For a term bundle: the bundle's queries that found this patient. */
  matchedQueries?: string[];
}

export interface PatientSearchResult {
  patients: PatientHit[];
  aggregate: PatientAggregate;
  expansions: string[];
  disabledExpansions?: string[];
  /** Passages ranked before aggregating; `depthReached`: the ranking was cut at the depth, more patients may match. */
  passagesRanked: number;
  depthReached: boolean;
  suggestion?: SpellingSuggestion;
  tookMs: number;
}

export interface SimilarParams {
  /** The passage whose stored vector is the query. */
  chunkId: string;
  k: number;
  filters?: SearchFilters;
  /** Leave out the passage's own note (default true: similar passages elsewhere). */
  excludeOwnNote?: boolean;
}

/** Host → sidecar. Passages like one passage: its own vector from the index as the dense query. Cancellable. */
export const SimilarPassages = new RequestType<SimilarParams, SearchResult, void>('drehr/similar');

/** Host → sidecar. Patients ranked by their passages (the panel's Patients mode, `drehr search --patients`). Cancellable. */
export const SearchPatients = new RequestType<PatientSearchParams, PatientSearchResult, void>('drehr/searchPatients');

/** Host → sidecar. Search the index. Cancellable: the quick pick cancels stale requests as the user types. */
export const Search = new RequestType<SearchParams, SearchResult, void>('drehr/search');

/** Host → sidecar. Current index status (cheap). */
export const GetStatus = new RequestType0<IndexStatus, void>('drehr/status');

export interface PatientSummary {
  patientId: string;
  notes: number;
}

/** Host → sidecar. Patients in the index, for the patient filter. */
export const ListPatients = new RequestType0<PatientSummary[], void>('drehr/patients');

export interface GetNoteParams {
  noteId: string;
}

export interface NoteText {
  noteId: string;
  patientId: string;
  sourcePath: string;
  row?: number;
  text: string;
}

/** Host → sidecar. The full text of a note that is a CSV/JSONL row, for a read-only document. */
export const GetNote = new RequestType<GetNoteParams, NoteText, void>('drehr/note');

export interface GetChunksParams {
  /** At most 500 ids per request. */
  chunkIds: string[];
}

/** A chunk as the index stores it. `text` is note text: never log it. */
export interface ChunkText {
  chunkId: string;
  text: string;
  noteId: string;
  patientId: string;
  /** Workspace-relative path of the source file. */
  source: string;
  /** 1-based data row of a CSV/JSONL note. */
  row?: number;
  charStart: number;
  charEnd: number;
}

/** Host → sidecar (the pairs review). The chunks with these ids, in the same order; null for an id not in the index. */
export const GetChunks = new RequestType<GetChunksParams, (ChunkText | null)[], void>('drehr/getChunks');

export interface LoadModelParams {
  modelDir: string;
}

/** Host → sidecar. Validate a model folder without switching to it (for "Select Model"). */
export const ValidateModel = new RequestType<LoadModelParams, ModelInfo, void>('drehr/validateModel');

/** Host → sidecar. Release the index and the model, then exit. */
export const Shutdown = new RequestType0<void, void>('drehr/shutdown');

// ---------------------------------------------------------------------------------------------------------
// Notifications (sidecar → host)
// ---------------------------------------------------------------------------------------------------------

export interface ProgressParams {
  workId: string;
  /** 'scan' | 'embed' | 'write' | 'index' | 'eval' … free-form phase name shown to the user. */
  phase: string;
  done: number;
  total: number;
  /** Short message without note text (file names are fine). */
  message?: string;
  /** 'bytes' when done/total count bytes (phase 'read': a big CSV/JSONL export). */
  unit?: 'bytes';
}

/** Sidecar → host. Progress of a long request. */
export const Progress = new NotificationType<ProgressParams>('drehr/progress');

export interface LogParams {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** Never contains note or query text. */
  message: string;
}

/** Sidecar → host. A log line for the DR.EHR output channel. */
export const Log = new NotificationType<LogParams>('drehr/log');

/** Sidecar → host. The index changed (after indexing, or when another process changed it). */
export const StatusChanged = new NotificationType<IndexStatus>('drehr/statusChanged');

// ---------------------------------------------------------------------------------------------------------
// Synthetic pairs (issue 7; formats in src/shared/pairs.ts and docs/CONTRACTS.md "Synthetic pairs")
// ---------------------------------------------------------------------------------------------------------

export interface SynthLlmParams {
  /** Base URL of an OpenAI-compatible server (".../v1") or its full chat-completions URL. */
  endpoint: string;
  model: string;
  /** From SecretStorage (editor) or DREHR_LLM_API_KEY (CLI); never logged. */
  apiKey?: string;
  concurrency: number;
  timeoutSeconds: number;
  /** Hosts other than loopback are refused unless this is true (drehr.llm.allowRemote, CLI --allow-remote). */
  allowRemote: boolean;
}

export interface SynthGenerateParams {
  workId: string;
  generator: 'graph' | 'llm';
  types: Array<'diagnosis' | 'procedure' | 'drug'>;
  /** Absolute path of the pairs file (appended to; a second run resumes). */
  outPath: string;
  /** Knowledge graph file; default: the model folder's graph.jsonl.gz, else the shipped one. */
  graphPath?: string;
  llm?: SynthLlmParams;
}

export interface SynthGenerateResult {
  outPath: string;
  graphPath: string;
  chunks: number;
  /** (chunk, type) calls answered in this run. */
  calls: number;
  /** Calls already answered by an earlier run (resume). */
  skipped: number;
  /** Calls that failed for good in this run (asked again by the next run). */
  failed: number;
  /** Pairs written in this run (explicit + implicit). */
  pairs: number;
  explicit: number;
  implicit: number;
  /** Pairs not written because the file already held their id. */
  duplicates: number;
  promptTokens: number;
  completionTokens: number;
  cancelled: boolean;
  /** Set when the run stopped early (e.g. every call failing): why, without note text. */
  stopped?: string;
  /** Distinct failure messages with counts, and what was repaired in the files (no note text). */
  messages: string[];
  durationMs: number;
}

/** Host → sidecar. Generate pairs for the workspace (indexed first if needed). Cancellable; progress via drehr/progress. */
export const SynthGenerate = new RequestType<SynthGenerateParams, SynthGenerateResult, void>('drehr/synthGenerate');

export interface SynthScoreParams {
  workId: string;
  pairsPath: string;
  /** Default: `<pairsPath>.suspicion.jsonl` (one {pair_id, score, reasons, version, model_id} a line). */
  outPath?: string;
  graphPath?: string;
}

export interface SynthScoreResult {
  outPath: string;
  pairs: number;
  scored: number;
  /** Pairs whose chunk is no longer in the index or changed (scored without similarity). */
  stale: number;
  /** Broken lines of the pairs file (line numbers). */
  brokenLines: number[];
  modelId: string;
  durationMs: number;
}

/** Host → sidecar. Suspicion scores for a pairs file, written beside it. Cancellable; progress via drehr/progress. */
export const SynthScore = new RequestType<SynthScoreParams, SynthScoreResult, void>('drehr/synthScore');
