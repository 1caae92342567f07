/**
 * The run configuration the editor writes to `<runsFolder>/<run id>/run.json` and the trainer reads with
 * `python -m drehr_train stage1|stage2 --config run.json`. Keys are snake_case because Python reads them; paths
 * are absolute so a run can be re-launched from any working directory. Building, validating and naming runs is
 * pure (no vscode, no fs) so it is unit-tested; the run store writes the file atomically.
 */
import type { Device } from '../shared/protocol';

export type TrainStage = 'stage1' | 'stage2';
export const RUN_CONFIG_FORMAT = 1;

export interface RunData {
  /** Folder of notes to chunk (the workspace), as the index sees them. Set unless `chunks` is. */
  notes?: string;
  /** Glob patterns relative to `notes` (drehr.notes.include / exclude). */
  include?: string[];
  exclude?: string[];
  /** A chunks JSONL (id, text per line) used instead of chunking `notes`. */
  chunks?: string;
  /** Chunking of `notes`, as the index does it (the paper: 100 / 10 / 50). */
  chunking: { words: number; overlap: number; min_words: number };
  /** Stage I: the knowledge graph file; null = the graph the trainer ships. */
  graph?: string | null;
  /** Stage II: the synthetic pairs JSONL and its label log (pairs whose last label is noise are left out). */
  pairs?: string;
  labels?: string | null;
}

export interface TrainParams {
  /** Passes over the data (the trainer accepts fractions). */
  epochs: number;
  /** Above 0: stop after this many optimizer steps (a quick trial run). */
  max_steps?: number;
  /** Optimizer steps between checkpoints, and between evaluations (0: only at the end). */
  checkpoint_every?: number;
  eval_every?: number;
  batch_size: number;
  lr: number;
  warmup: number;
  /** Positives per chunk (the paper: 128 in Stage I, 16 in Stage II). */
  num_pos: number;
  max_length: { passage: number; query: number };
  grad_accum: number;
  seed: number;
  /** Mask in-batch negatives that share an entity with the chunk (the paper's known weakness). */
  mask_false_negatives: boolean;
  /** Stage II: BM25-mined hard-negative chunks (same patient, knowledge-graph filtered) per batch chunk; 0 or absent: in-batch negatives only. */
  hard_negatives?: number;
}

export interface RunConfig {
  format: number;
  id: string;
  stage: TrainStage;
  /** ISO time the editor wrote the config. */
  created: string;
  /** The model folder training starts from. */
  base_model: string;
  /** The run folder: checkpoints/, model/, events.jsonl, report.md go here. */
  output_dir: string;
  device: Device;
  /** Processes per node (torchrun: one per GPU, or CPU processes on the gloo backend); 1 runs the trainer directly. */
  nproc: number;
  data: RunData;
  train: TrainParams;
}

/** The paper's settings per stage (DESIGN.md, "Training, as in the paper"). */
export function defaultTrainParams(stage: TrainStage): TrainParams {
  return {
    epochs: stage === 'stage1' ? 3 : 1,
    batch_size: 32,
    lr: 1e-4,
    warmup: 0.1,
    num_pos: stage === 'stage1' ? 128 : 16,
    max_length: { passage: 160, query: 16 },
    grad_accum: 1,
    seed: 42,
    mask_false_negatives: true,
  };
}

export interface RunChoices {
  stage: TrainStage;
  id: string;
  runDir: string;
  baseModel: string;
  device: Device;
  nproc: number;
  data: RunData;
  now: Date;
  train?: Partial<TrainParams>;
}

export function buildRunConfig(c: RunChoices): RunConfig {
  return {
    format: RUN_CONFIG_FORMAT,
    id: c.id,
    stage: c.stage,
    created: c.now.toISOString(),
    base_model: c.baseModel,
    output_dir: c.runDir,
    device: c.device,
    nproc: c.nproc,
    data: c.data,
    train: { ...defaultTrainParams(c.stage), ...c.train },
  };
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isPosInt = (x: unknown): x is number => Number.isInteger(x) && (x as number) > 0;
const isNonEmpty = (x: unknown): x is string => typeof x === 'string' && x.trim() !== '';
const isAbs = (p: string): boolean => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');

/**
 * Every problem with a run configuration, each naming the key and what is expected; empty when it is valid.
 * The editor checks what it writes and what it reads back (a hand-edited run.json).
 */
export function validateRunConfig(x: unknown): string[] {
  const errs: string[] = [];
  if (!isObj(x)) return ['run.json must hold a JSON object'];
  if (x.format !== RUN_CONFIG_FORMAT) errs.push(`format: expected ${RUN_CONFIG_FORMAT}, found ${JSON.stringify(x.format)}`);
  if (!isNonEmpty(x.id) || !isRunId(x.id)) errs.push('id: letters, digits, "-", "_" and "." only, 1 to 100 characters');
  if (x.stage !== 'stage1' && x.stage !== 'stage2') errs.push('stage: "stage1" or "stage2"');
  for (const key of ['base_model', 'output_dir'] as const) {
    const v = x[key];
    if (!isNonEmpty(v)) errs.push(`${key}: a folder path is required`);
    else if (!isAbs(v)) errs.push(`${key}: must be an absolute path, found "${v}"`);
  }
  if (x.device !== 'auto' && x.device !== 'cpu' && x.device !== 'cuda') errs.push('device: "auto", "cpu" or "cuda"');
  if (!isPosInt(x.nproc) || x.nproc > 64) errs.push('nproc: a whole number from 1 to 64');
  if (!isObj(x.data)) errs.push('data: an object is required');
  else errs.push(...validateData(x.data, x.stage));
  if (!isObj(x.train)) errs.push('train: an object is required');
  else errs.push(...validateTrain(x.train));
  return errs;
}

function validateData(d: Obj, stage: unknown): string[] {
  const errs: string[] = [];
  const hasNotes = isNonEmpty(d.notes);
  const hasChunks = isNonEmpty(d.chunks);
  if (!hasNotes && !hasChunks) errs.push('data: give "notes" (a folder) or "chunks" (a chunks JSONL)');
  if (hasNotes && hasChunks) errs.push('data: give "notes" or "chunks", not both');
  for (const key of ['notes', 'chunks', 'pairs'] as const) {
    const v = d[key];
    if (v !== undefined && (!isNonEmpty(v) || !isAbs(v))) errs.push(`data.${key}: must be an absolute path`);
  }
  for (const key of ['graph', 'labels'] as const) {
    const v = d[key];
    if (v !== undefined && v !== null && (!isNonEmpty(v) || !isAbs(v))) errs.push(`data.${key}: must be an absolute path or null`);
  }
  for (const key of ['include', 'exclude'] as const) {
    const v = d[key];
    if (v !== undefined && !(Array.isArray(v) && v.every((g) => typeof g === 'string'))) errs.push(`data.${key}: a list of glob patterns`);
  }
  const ch = d.chunking;
  if (!isObj(ch)) errs.push('data.chunking: { words, overlap, min_words } is required');
  else {
    if (!isPosInt(ch.words)) errs.push('data.chunking.words: a whole number above 0');
    if (!Number.isInteger(ch.overlap) || (ch.overlap as number) < 0) errs.push('data.chunking.overlap: a whole number, 0 or more');
    else if (isPosInt(ch.words) && (ch.overlap as number) >= ch.words) errs.push('data.chunking.overlap: must be smaller than words');
    if (!isPosInt(ch.min_words)) errs.push('data.chunking.min_words: a whole number above 0');
  }
  if (stage === 'stage2' && !isNonEmpty(d.pairs)) errs.push('data.pairs: Stage II needs a synthetic pairs JSONL');
  if (stage === 'stage1' && d.pairs !== undefined) errs.push('data.pairs: only Stage II trains on pairs');
  return errs;
}

function validateTrain(t: Obj): string[] {
  const errs: string[] = [];
  for (const key of ['batch_size', 'num_pos', 'grad_accum'] as const) {
    if (!isPosInt(t[key])) errs.push(`train.${key}: a whole number above 0`);
  }
  if (typeof t.epochs !== 'number' || !(t.epochs > 0) || !Number.isFinite(t.epochs)) errs.push('train.epochs: a number above 0');
  for (const key of ['max_steps', 'checkpoint_every', 'eval_every', 'hard_negatives'] as const) {
    const v = t[key];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0)) errs.push(`train.${key}: a whole number, 0 or more`);
  }
  // The trainer's own optional keys (python/drehr_train/cli.py): a time limit, optimizer and loss constants, pooling.
  for (const key of ['max_minutes', 'weight_decay', 'keep_checkpoints', 'log_every', 'threshold', 'eps', 'scale_pos', 'scale_neg'] as const) {
    const v = t[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) errs.push(`train.${key}: a number, 0 or more`);
  }
  if (t.pooling !== undefined && t.pooling !== 'cls' && t.pooling !== 'mean') errs.push('train.pooling: "cls" or "mean"');
  const known = new Set(['epochs', 'max_steps', 'checkpoint_every', 'eval_every', 'batch_size', 'lr', 'warmup', 'num_pos', 'max_length', 'grad_accum', 'seed', 'mask_false_negatives', 'hard_negatives',
    'max_minutes', 'weight_decay', 'keep_checkpoints', 'log_every', 'threshold', 'eps', 'scale_pos', 'scale_neg', 'pooling']);
  const unknown = Object.keys(t).filter((k) => !known.has(k));
  if (unknown.length) errs.push(`train: unknown settings ${unknown.join(', ')} (the trainer refuses them)`);
  if (typeof t.lr !== 'number' || !(t.lr > 0) || t.lr > 1) errs.push('train.lr: a number above 0 and at most 1');
  if (typeof t.warmup !== 'number' || t.warmup < 0 || t.warmup >= 1) errs.push('train.warmup: a fraction from 0 up to (not including) 1');
  if (!Number.isInteger(t.seed)) errs.push('train.seed: a whole number');
  if (typeof t.mask_false_negatives !== 'boolean') errs.push('train.mask_false_negatives: true or false');
  const ml = t.max_length;
  if (!isObj(ml) || !isPosInt(ml.passage) || !isPosInt(ml.query) || ml.passage < 3 || ml.query < 3) {
    errs.push('train.max_length: { passage, query } in tokens, each at least 3 ([CLS] and [SEP] included)');
  }
  return errs;
}

/** Run ids are folder names: safe on every file system and in a shell. */
export function isRunId(s: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(s);
}

/**
 * A new run id: `<stage>-<UTC yyyymmdd-hhmmss>`, with `-2`, `-3`… when that folder already exists (two runs
 * started in the same second).
 */
export function newRunId(stage: TrainStage, now: Date, existing: ReadonlySet<string>): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const base = `${stage}-${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  if (!existing.has(base)) return base;
  for (let i = 2; ; i++) {
    const id = `${base}-${i}`;
    if (!existing.has(id)) return id;
  }
}

export function serializeRunConfig(c: RunConfig): string {
  return JSON.stringify(c, null, 2) + '\n';
}
