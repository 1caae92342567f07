/**
 * Typed, sanitized settings over `getConfiguration('drehr')`. Pure: it reads through a `ConfigReader`, so the
 * sanitizing is unit-tested without VS Code (ctx.ts passes the real configuration object).
 */
import * as path from 'node:path';
import * as os from 'node:os';
import { DEFAULT_CHUNKING, DEFAULT_EXCLUDE, DEFAULT_INCLUDE, DEFAULT_MAX_FILE_MB, DEFAULT_SEARCH_MODE, SEARCH_MODES, isUri } from './shared/defaults';
import { ENGINE_CHOICES, PRECISIONS, type ChunkingOptions, type ColumnMapping, type Device, type EngineChoice, type EngineConfig, type Precision, type SearchMode } from './shared/protocol';

export interface ConfigReader {
  get<T>(key: string): T | undefined;
}

export interface DrehrConfig {
  /** As written in the settings ('' = the demo model). */
  modelPath: string;
  device: Device;
  precision: Precision;
  /** drehr.engine: auto | onnx | torch. */
  engine: EngineChoice;
  include: string[];
  exclude: string[];
  maxFileBytes: number;
  columns: ColumnMapping;
  chunking: ChunkingOptions;
  /** As written ('' = <workspace>/.drehr/index). */
  indexLocation: string;
  watch: boolean;
  searchMode: SearchMode;
  resultCount: number;
  queryExpansion: boolean;
  /** drehr.audit.enabled: append who searched what to .drehr/audit.jsonl (src/audit.ts). */
  auditEnabled: boolean;
  runsFolder: string;
}

/**
 * Settings whose change must reach the sidecar (a new Initialize, or a new process for the model and device).
 * Other settings (search mode, result count, query expansion, watch) are read on demand: every search sends
 * its mode and `expand`.
 */
export const ENGINE_KEYS = [
  'modelPath',
  'device',
  'precision',
  'engine',
  'python.interpreter',
  'index.location',
  'notes.include',
  'notes.exclude',
  'notes.maxFileSizeMB',
  'columns',
  'chunking',
] as const;

/** Of ENGINE_KEYS, those that need a fresh sidecar process rather than a new Initialize. */
export const PROCESS_KEYS = ['modelPath', 'device', 'engine', 'python.interpreter'] as const;

export { DEFAULT_EXCLUDE, DEFAULT_INCLUDE, isUri } from './shared/defaults';

export interface Sanitized {
  config: DrehrConfig;
  /** One line per setting that held a bad value and was replaced: shown once in the log. */
  warnings: string[];
}

function str(r: ConfigReader, key: string, warnings: string[], fallback = ''): string {
  const v = r.get<unknown>(key);
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string') {
    warnings.push(`drehr.${key} should be a string; using "${fallback}".`);
    return fallback;
  }
  return v.trim();
}

function bool(r: ConfigReader, key: string, warnings: string[], fallback: boolean): boolean {
  const v = r.get<unknown>(key);
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') {
    warnings.push(`drehr.${key} should be true or false; using ${fallback}.`);
    return fallback;
  }
  return v;
}

function int(
  r: ConfigReader,
  key: string,
  warnings: string[],
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = r.get<unknown>(key);
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    warnings.push(`drehr.${key} should be a number; using ${fallback}.`);
    return fallback;
  }
  const n = Math.round(v);
  if (n < min || n > max) {
    const clamped = Math.min(max, Math.max(min, n));
    warnings.push(`drehr.${key} must be between ${min} and ${max}; using ${clamped}.`);
    return clamped;
  }
  return n;
}

function oneOf<T extends string>(r: ConfigReader, key: string, warnings: string[], allowed: readonly T[], fallback: T): T {
  const v = r.get<unknown>(key);
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  warnings.push(`drehr.${key} must be one of ${allowed.join(', ')}; using ${fallback}.`);
  return fallback;
}

function globs(r: ConfigReader, key: string, warnings: string[], fallback: readonly string[], allowEmpty: boolean): string[] {
  const v = r.get<unknown>(key);
  if (v === undefined || v === null) return [...fallback];
  if (!Array.isArray(v)) {
    warnings.push(`drehr.${key} should be a list of glob patterns; using the default.`);
    return [...fallback];
  }
  const good = v.filter((g): g is string => typeof g === 'string' && g.trim() !== '').map((g) => g.trim());
  if (good.length !== v.length) warnings.push(`drehr.${key}: ${v.length - good.length} entries are not glob strings and were ignored.`);
  if (good.length === 0 && !allowEmpty) {
    warnings.push(`drehr.${key} is empty, so nothing would be indexed; using the default.`);
    return [...fallback];
  }
  return [...new Set(good)];
}

export function readConfig(r: ConfigReader): Sanitized {
  const w: string[] = [];
  const words = int(r, 'chunking.words', w, DEFAULT_CHUNKING.words, 10, 10000);
  const overlap = int(r, 'chunking.overlap', w, DEFAULT_CHUNKING.overlap, 0, words - 1);
  const minWords = int(r, 'chunking.minWords', w, DEFAULT_CHUNKING.minWords, 1, words);
  const config: DrehrConfig = {
    modelPath: str(r, 'modelPath', w),
    device: oneOf(r, 'device', w, ['auto', 'cpu', 'cuda'] as const, 'auto'),
    precision: oneOf(r, 'precision', w, PRECISIONS, 'auto'),
    engine: oneOf(r, 'engine', w, ENGINE_CHOICES, 'auto'),
    include: globs(r, 'notes.include', w, DEFAULT_INCLUDE, false),
    exclude: globs(r, 'notes.exclude', w, DEFAULT_EXCLUDE, true),
    maxFileBytes: int(r, 'notes.maxFileSizeMB', w, DEFAULT_MAX_FILE_MB, 1, 1 << 20) * 1024 * 1024,
    columns: {
      text: str(r, 'columns.text', w),
      patientId: str(r, 'columns.patientId', w),
      noteId: str(r, 'columns.noteId', w),
      noteType: str(r, 'columns.noteType', w),
      date: str(r, 'columns.date', w),
    },
    chunking: { words, overlap, minWords },
    indexLocation: str(r, 'index.location', w),
    watch: bool(r, 'index.watch', w, true),
    searchMode: oneOf(r, 'search.mode', w, SEARCH_MODES, DEFAULT_SEARCH_MODE),
    resultCount: int(r, 'search.resultCount', w, 20, 1, 200),
    queryExpansion: bool(r, 'search.queryExpansion', w, true),
    auditEnabled: bool(r, 'audit.enabled', w, false),
    runsFolder: str(r, 'training.runsFolder', w, '.drehr/runs') || '.drehr/runs',
  };
  return { config, warnings: w };
}

/**
 * Resolves a path setting: `~` is the home folder, `${workspaceFolder}` the workspace folder, a relative path
 * is relative to the workspace folder. URIs stay as they are.
 */
export function resolvePath(p: string, workspaceRoot: string, home = os.homedir()): string {
  if (isUri(p)) return p;
  let s = p.replace(/\$\{workspaceFolder\}/g, workspaceRoot).replace(/\$\{userHome\}/g, home);
  if (s === '~' || s.startsWith('~/') || s.startsWith('~\\')) s = path.join(home, s.slice(1));
  return path.resolve(workspaceRoot, s);
}

export interface Places {
  workspaceRoot: string;
  extensionPath: string;
}

export function defaultModelDir(extensionPath: string): string {
  return path.join(extensionPath, 'models', 'demo');
}

export function modelDir(c: DrehrConfig, places: Places): string {
  return c.modelPath ? resolvePath(c.modelPath, places.workspaceRoot) : defaultModelDir(places.extensionPath);
}

export function indexLocation(c: DrehrConfig, workspaceRoot: string): string {
  return c.indexLocation ? resolvePath(c.indexLocation, workspaceRoot) : path.join(workspaceRoot, '.drehr', 'index');
}

export function runsFolder(c: DrehrConfig, workspaceRoot: string): string {
  return resolvePath(c.runsFolder, workspaceRoot);
}

export function engineConfig(c: DrehrConfig, places: Places): EngineConfig {
  return {
    workspaceRoot: places.workspaceRoot,
    indexLocation: indexLocation(c, places.workspaceRoot),
    modelDir: modelDir(c, places),
    device: c.device,
    precision: c.precision,
    engine: c.engine,
    include: c.include,
    exclude: c.exclude,
    columns: c.columns,
    chunking: c.chunking,
    maxFileBytes: c.maxFileBytes,
    queryExpansion: c.queryExpansion,
  };
}

export interface EngineChange {
  need: 'none' | 'reinitialize' | 'restart';
  /** The settings (drehr.*) that differ from what the sidecar runs with, for the prompt. */
  keys: string[];
}

/** Which settings each EngineConfig field comes from; queryExpansion is absent: each search sends `expand`. */
const FIELD_KEYS: Array<[keyof EngineConfig, string, 'reinitialize' | 'restart']> = [
  ['modelDir', 'drehr.modelPath', 'restart'],
  ['device', 'drehr.device', 'restart'],
  ['workspaceRoot', 'the workspace folder', 'reinitialize'],
  ['indexLocation', 'drehr.index.location', 'reinitialize'],
  ['include', 'drehr.notes.include', 'reinitialize'],
  ['exclude', 'drehr.notes.exclude', 'reinitialize'],
  ['maxFileBytes', 'drehr.notes.maxFileSizeMB', 'reinitialize'],
  ['columns', 'drehr.columns', 'reinitialize'],
  ['chunking', 'drehr.chunking', 'reinitialize'],
];

/**
 * What it takes for the sidecar to run with `next` when it runs with `applied` (undefined: nothing sent yet, so
 * nothing to change): a new process for the model or device, a new Initialize for the rest, or nothing.
 */
export function engineChange(applied: EngineConfig | undefined, next: EngineConfig): EngineChange {
  if (!applied) return { need: 'none', keys: [] };
  let need: EngineChange['need'] = 'none';
  const keys: string[] = [];
  for (const [field, key, kind] of FIELD_KEYS) {
    if (JSON.stringify(applied[field]) === JSON.stringify(next[field])) continue;
    keys.push(key);
    if (kind === 'restart' || need === 'none') need = kind;
  }
  return { need, keys };
}

/** What a settings change asks of the sidecar, given `affects('drehr.<key>')`. */
export function restartNeed(affects: (section: string) => boolean): 'none' | 'reinitialize' | 'restart' {
  if (PROCESS_KEYS.some((k) => affects(`drehr.${k}`))) return 'restart';
  if (ENGINE_KEYS.some((k) => affects(`drehr.${k}`))) return 'reinitialize';
  return 'none';
}

/** drehr.llm.* and drehr.synth.*: read on demand by Generate Synthetic Pairs (the API key is in SecretStorage, never here). */
export interface SynthSettings {
  endpoint: string;
  model: string;
  concurrency: number;
  timeoutSeconds: number;
  allowRemote: boolean;
  /** As written ('' = the model folder's graph.jsonl.gz, else the shipped one). */
  graphPath: string;
}

export function readSynthSettings(r: ConfigReader): { settings: SynthSettings; warnings: string[] } {
  const w: string[] = [];
  const settings: SynthSettings = {
    endpoint: str(r, 'llm.endpoint', w, 'http://127.0.0.1:8000/v1') || 'http://127.0.0.1:8000/v1',
    model: str(r, 'llm.model', w),
    concurrency: int(r, 'llm.concurrency', w, 4, 1, 64),
    timeoutSeconds: int(r, 'llm.timeoutSeconds', w, 120, 5, 3600),
    allowRemote: bool(r, 'llm.allowRemote', w, false),
    graphPath: str(r, 'synth.graphPath', w),
  };
  return { settings, warnings: w };
}
