/**
 * The index manifest (`<index>/manifest.json`): what was indexed with which model and chunking, file by file.
 * Written atomically (temp file + fsync + rename) after every batch, so a kill leaves the last complete state.
 * `pending` lists the sources being written: a run that finds them after a crash re-does them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChunkingOptions, ColumnMapping, ModelInfo, Problem } from '../../shared/protocol';
import { writeFileAtomicSync } from '../../shared/atomicWrite';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 1;

export interface FileEntry {
  hash: string;
  size: number;
  mtimeMs: number;
  chunks: number;
  /** Notes per patient in this file. */
  patients: Record<string, number>;
  problems: Problem[];
}

/**
 * How far a CSV/JSONL export got in a run that stopped inside it (the file is also in `pending`). Recorded only
 * after the rows before `offset` are committed to the table; rows of later data rows that a killed run wrote
 * before it could record them are deleted by row number when the next run continues (no duplicates).
 */
export interface PartialFile {
  /** sha256 of the whole file (also each row's file_hash): a file that changed since starts from zero. */
  hash: string;
  size: number;
  mtimeMs: number;
  /** Byte offset of the first data row not completely written (a record boundary). */
  offset: number;
  /** Data rows before `offset` (CSV: records after the header; JSONL: lines). */
  row: number;
  /** 1-based line of `offset`. */
  line: number;
  /** The file's problems from the rows before `offset` (never cell values). */
  problems: Problem[];
}

export interface Fingerprint {
  modelId: string;
  /** The graph that wrote the vectors (absent in manifests written before int8 existed: fp32). */
  precision?: 'fp32' | 'int8';
  chunker: string;
  chunking: ChunkingOptions;
  columns: ColumnMapping;
}

export interface Manifest extends Fingerprint {
  format: number;
  files: Record<string, FileEntry>;
  pending: string[];
  /** Exports a run stopped inside, by path (absent when none). */
  partial?: Record<string, PartialFile>;
  lastIndexedAt?: string;
  /** Row count the ANN index was built for (absent: no ANN index). */
  annRows?: number;
  /**
   * The engines and precisions that wrote this index's vectors (engineTag), e.g. ["onnx-fp32", "torch-fp16"]
   * (an int8 graph is onnx-int8, and a change to or from it is a fingerprint change: `precision`).
   * Not part of the fingerprint: onnx and torch give the same vectors within 1e-3 (fp32; fp16 within ~2e-3), so a
   * change of engine does not re-embed; a change of model does.
   */
  writtenBy?: string[];
}

/** Which engine and precision embed with this model: "onnx-fp32", "torch-fp16", ... */
export function engineTag(m: Partial<Pick<ModelInfo, 'engine' | 'dtype' | 'precision'>>): string {
  return `${m.engine ?? 'onnx'}-${m.dtype ?? m.precision ?? 'fp32'}`;
}

/** Adds the tag of the engine that just wrote rows (kept sorted, each once). Pure. */
export function noteWriter(m: Manifest, tag: string): void {
  if (!m.writtenBy?.includes(tag)) m.writtenBy = [...(m.writtenBy ?? []), tag].sort();
}

export function emptyManifest(fp: Fingerprint): Manifest {
  return { format: MANIFEST_FORMAT, ...fp, files: {}, pending: [] };
}

/** Why the manifest's index cannot be reused with this fingerprint (a full re-embed), or undefined. */
export function fingerprintChange(m: Manifest, fp: Fingerprint): string | undefined {
  if (m.modelId !== fp.modelId) return `the model changed (${m.modelId} → ${fp.modelId})`;
  if ((m.precision ?? 'fp32') !== (fp.precision ?? 'fp32')) return `the model precision changed (${m.precision ?? 'fp32'} → ${fp.precision ?? 'fp32'})`;
  if (m.chunker !== fp.chunker || JSON.stringify(m.chunking) !== JSON.stringify(fp.chunking)) return 'the chunking settings changed';
  if (JSON.stringify(m.columns) !== JSON.stringify(fp.columns)) return 'the CSV/JSONL column mapping changed';
  return undefined;
}

export type ReadResult = { state: 'missing' } | { state: 'ok'; manifest: Manifest } | { state: 'corrupt'; reason: string };

export function readManifest(indexDir: string): ReadResult {
  const file = path.join(indexDir, MANIFEST_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    return { state: 'corrupt', reason: (e as Error).message };
  }
  try {
    const m = JSON.parse(text) as Manifest;
    if (m.format !== MANIFEST_FORMAT || typeof m.files !== 'object' || m.files === null) return { state: 'corrupt', reason: 'unknown manifest format' };
    m.pending = Array.isArray(m.pending) ? m.pending : [];
    return { state: 'ok', manifest: m };
  } catch (e) {
    return { state: 'corrupt', reason: `manifest.json is not valid JSON (${(e as Error).message})` };
  }
}

export function writeManifest(indexDir: string, m: Manifest): void {
  writeFileAtomicSync(path.join(indexDir, MANIFEST_FILE), JSON.stringify(m));
}


/** Patients and their note counts over the whole manifest. */
export function patientCounts(m: Manifest): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of Object.values(m.files)) for (const [p, n] of Object.entries(f.patients)) out.set(p, (out.get(p) ?? 0) + n);
  return out;
}

export interface Totals {
  notes: number;
  chunks: number;
  patients: number;
}

export function manifestTotals(m: Manifest): Totals {
  let notes = 0;
  let chunks = 0;
  for (const f of Object.values(m.files)) {
    chunks += f.chunks;
    for (const n of Object.values(f.patients)) notes += n;
  }
  return { notes, chunks, patients: patientCounts(m).size };
}

export interface ScannedFile {
  rel: string;
  size: number;
  mtimeMs: number;
}

export interface Plan {
  /** Need reading (new, or size/mtime differ, or pending after a crash); the hash decides if they changed. */
  check: ScannedFile[];
  unchanged: ScannedFile[];
  /** In the manifest (within the run's scope) but gone from disk. */
  removed: string[];
}

/** Compares a scan with the manifest. `inScope` says which manifest entries this run is responsible for. */
export function planRun(m: Manifest, scanned: readonly ScannedFile[], inScope: (rel: string) => boolean): Plan {
  const pending = new Set(m.pending);
  const seen = new Set<string>();
  const check: ScannedFile[] = [];
  const unchanged: ScannedFile[] = [];
  for (const f of scanned) {
    seen.add(f.rel);
    const e = m.files[f.rel];
    if (e && !pending.has(f.rel) && e.size === f.size && e.mtimeMs === f.mtimeMs) unchanged.push(f);
    else check.push(f);
  }
  const removed = new Set<string>();
  for (const rel of Object.keys(m.files)) if (!seen.has(rel) && inScope(rel)) removed.add(rel);
  for (const rel of pending) if (!seen.has(rel) && inScope(rel)) removed.add(rel);
  return { check, unchanged, removed: [...removed].sort() };
}
