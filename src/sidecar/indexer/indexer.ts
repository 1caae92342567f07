/**
 * One index run: scan, plan against the manifest, then batch by batch read → chunk → embed → write, recording
 * each batch in the manifest only after its rows are written. Rows of a source are deleted before its rows are
 * added, so a batch redone after a crash or a cancel leaves no duplicates. The caller holds the write lock.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineConfig, IndexParams, IndexResult, Problem } from '../../shared/protocol';
import type { Encoder } from '../encoder/encoder';
import { CancelledError, errorMessage, indexCorrupt, throwIfAborted } from '../errors';
import type { Logger } from '../log';
import { chunkNote, CHUNKER_VERSION } from '../notes/chunker';
import { parseNoteFile, tooLargeProblem } from '../notes/parse';
import type { Chunk } from '../notes/types';
import type { ChunkRow } from '../store/schema';
import type { Store } from '../store/store';
import { emptyManifest, fingerprintChange, planRun, readManifest, writeManifest, type FileEntry, type Fingerprint, type Manifest, type ScannedFile } from './manifest';
import { Scanner, toRel } from './scan';

export interface ProgressUpdate {
  phase: 'scan' | 'embed' | 'write' | 'index';
  done: number;
  total: number;
  message?: string;
}

export interface IndexContext {
  config: EngineConfig;
  encoder: Encoder;
  store: Store;
  /** Local folder holding manifest.json and the lock. */
  metaDir: string;
  log: Logger;
  /** Chunks embedded per write batch. */
  batchChunks?: number;
  /** Row count from which an ANN index is built (tests lower it). */
  annMinRows?: number;
}

export type IndexRunResult = Omit<IndexResult, 'status'>;

interface Prepared {
  file: ScannedFile;
  entry: FileEntry;
  chunks: Chunk[];
}

export function fingerprintOf(config: EngineConfig, modelId: string): Fingerprint {
  return { modelId, chunker: CHUNKER_VERSION, chunking: { ...config.chunking }, columns: { ...config.columns } };
}

export async function runIndex(ctx: IndexContext, params: IndexParams, onProgress: (p: ProgressUpdate) => void, signal?: AbortSignal): Promise<IndexRunResult> {
  const started = Date.now();
  const { config, store, metaDir, log } = ctx;
  const result: IndexRunResult = { filesScanned: 0, filesIndexed: 0, filesUnchanged: 0, filesRemoved: 0, chunksAdded: 0, chunksRemoved: 0, problems: [], cancelled: false, durationMs: 0 };
  const fp = fingerprintOf(config, ctx.encoder.info.id);
  const saveManifest = (m: Manifest): void => {
    try {
      writeManifest(metaDir, m);
    } catch (e) {
      throw indexCorrupt(metaDir, `cannot write manifest.json: ${errorMessage(e)}`);
    }
  };

  // 1. The manifest, reset when it cannot describe the table any more.
  const read = readManifest(metaDir);
  let manifest = read.state === 'ok' ? read.manifest : emptyManifest(fp);
  let reset: string | undefined;
  if (params.rebuild) reset = 'a rebuild was asked for';
  else if (read.state === 'corrupt') reset = `the manifest is unreadable (${read.reason})`;
  else if (read.state === 'ok') reset = fingerprintChange(manifest, fp) ?? (!store.exists && Object.keys(manifest.files).length > 0 ? 'the index table is missing' : undefined);
  // A table with a lost or cut-short file cannot be read in part; re-embed (deleting its rows would read it too).
  const damage = reset ? undefined : store.damage();
  if (damage) reset = damage;
  else if (store.exists) reset = 'the manifest is missing';
  if (reset) {
    log.info(`Re-embedding every note: ${reset}.`);
    result.chunksRemoved += await store.count();
    await store.drop();
    manifest = emptyManifest(fp);
    saveManifest(manifest);
  }

  // 2. Scan (the whole workspace or the given paths).
  onProgress({ phase: 'scan', done: 0, total: 0, message: 'Looking for notes' });
  const indexAbs = path.resolve(config.indexLocation);
  const scanner = new Scanner({ root: config.workspaceRoot, include: config.include, exclude: config.exclude, skip: [indexAbs, path.resolve(metaDir)] });
  const scope = scopeOf(config.workspaceRoot, params.paths);
  const scanned: ScannedFile[] = [];
  const goneFolders: string[] = [];
  for (const s of scope.roots) {
    if (fs.existsSync(s.abs)) scanned.push(...scanner.scan(s.abs));
    else if (s.rel !== '') goneFolders.push(s.rel);
  }
  result.filesScanned = scanned.length;
  // A folder that cannot be read now keeps its rows: only what the scan saw can be judged deleted.
  const plan = planRun(manifest, scanned, (rel) => scope.covers(rel) && !scanner.underUnreadable(rel));
  result.problems.push(...scanProblems(scanner));
  const carryPending = manifest.pending.filter((p) => !scope.covers(p));

  // 3. Removed files (and paths that no longer exist, which may be folders).
  if (plan.removed.length || goneFolders.length) {
    onProgress({ phase: 'write', done: 0, total: plan.removed.length, message: 'Removing deleted notes' });
    result.chunksRemoved += await store.deleteSources([...plan.removed, ...goneFolders], goneFolders);
    for (const rel of plan.removed) delete manifest.files[rel];
    manifest.pending = carryPending;
    result.filesRemoved = plan.removed.length;
    saveManifest(manifest);
  }
  result.filesUnchanged = plan.unchanged.length;
  for (const f of plan.unchanged) result.problems.push(...manifest.files[f.rel].problems);

  // 4. Changed and new files, batch by batch.
  const pendingBefore = new Set(manifest.pending);
  const total = plan.check.length;
  let batch: Prepared[] = [];
  let batchChunks = 0;
  let checked = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    await writeBatch(ctx, manifest, carryPending, batch, result, onProgress, saveManifest, signal);
    result.filesIndexed += batch.length;
    batch = [];
    batchChunks = 0;
  };
  try {
    for (const file of plan.check) {
      throwIfAborted(signal);
      checked++;
      onProgress({ phase: 'scan', done: checked, total, message: file.rel });
      const prepared = prepareFile(config, file, manifest.files[file.rel], pendingBefore.has(file.rel));
      if (prepared === 'unchanged') {
        manifest.files[file.rel] = { ...manifest.files[file.rel], mtimeMs: file.mtimeMs };
        result.filesUnchanged++;
        result.problems.push(...manifest.files[file.rel].problems);
        continue;
      }
      result.problems.push(...prepared.entry.problems);
      batch.push(prepared);
      batchChunks += prepared.chunks.length;
      if (batchChunks >= (ctx.batchChunks ?? 256)) await flush();
    }
    await flush();
  } catch (e) {
    if (!(e instanceof CancelledError)) throw e;
    result.cancelled = true;
    log.info(`Indexing cancelled after ${result.filesIndexed} of ${total} files; the next run continues from there.`);
  }
  if (!result.cancelled) manifest.lastIndexedAt = new Date().toISOString();
  saveManifest(manifest);

  // 5. Index upkeep: FTS after writes, ANN once large.
  if (!result.cancelled && (result.chunksAdded > 0 || result.chunksRemoved > 0)) {
    onProgress({ phase: 'index', done: 0, total: 1, message: 'Updating search indexes' });
    const { built, stalled } = await store.refreshIndexes(ctx.encoder.info.dim, ctx.annMinRows, manifest.annRows);
    if (built !== undefined) {
      manifest.annRows = built;
      saveManifest(manifest);
    }
    if (stalled) result.problems.push({ path: toRel(config.workspaceRoot, indexAbs) || '.', severity: 'error', message: stalled });
    onProgress({ phase: 'index', done: 1, total: 1 });
  }
  result.durationMs = Date.now() - started;
  return result;
}

/** What the scan could not read or would not follow, as problems (symbolic links: one message for the run). */
function scanProblems(scanner: Scanner): Problem[] {
  const out: Problem[] = scanner.unreadable.map((u) => ({
    path: u.rel || '.',
    severity: 'error',
    message: u.folder
      ? `Cannot read this folder (${u.code}); its notes were not checked and their rows are kept. Check its permissions.`
      : `Cannot read this path (${u.code}); it was not checked and its rows are kept. Check its permissions.`,
  }));
  const links = scanner.symlinks;
  if (links.length > 0) {
    const shown = links.slice(0, 5).join(', ') + (links.length > 5 ? `, and ${links.length - 5} more` : '');
    out.push({
      path: links[0],
      severity: 'warning',
      message: `Skipped ${links.length} symbolic link${links.length === 1 ? '' : 's'} (links are not followed: they may lead outside the workspace or loop): ${shown}. Copy the notes into the workspace, or exclude the links with drehr.notes.exclude.`,
    });
  }
  return out;
}

/** Reads, hashes, parses and chunks one file; 'unchanged' when its content hash equals the manifest's. */
function prepareFile(config: EngineConfig, file: ScannedFile, old: FileEntry | undefined, forced: boolean): Prepared | 'unchanged' {
  const abs = path.join(config.workspaceRoot, file.rel);
  const entry: FileEntry = { hash: '', size: file.size, mtimeMs: file.mtimeMs, chunks: 0, patients: {}, problems: [] };
  if (file.size > config.maxFileBytes) {
    entry.hash = `size:${file.size}:${file.mtimeMs}`;
    entry.problems.push(tooLargeProblem(file.rel, file.size, config.maxFileBytes));
    return old && old.hash === entry.hash && !forced ? 'unchanged' : { file, entry, chunks: [] };
  }
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(abs);
  } catch (e) {
    entry.hash = 'unreadable';
    entry.problems.push({ path: file.rel, severity: 'error', message: `Cannot read the file (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}); skipped. Check its permissions.` });
    return { file, entry, chunks: [] };
  }
  entry.hash = createHash('sha256').update(bytes).digest('hex');
  entry.size = bytes.length;
  if (old && old.hash === entry.hash && !forced) return 'unchanged';
  const parsed = parseNoteFile(file.rel, bytes, { columns: config.columns, maxFileBytes: config.maxFileBytes });
  entry.problems.push(...parsed.problems);
  const chunks: Chunk[] = [];
  for (const note of parsed.notes) {
    const cs = chunkNote(note, config.chunking);
    chunks.push(...cs);
    entry.patients[note.patientId] = (entry.patients[note.patientId] ?? 0) + 1;
  }
  entry.chunks = chunks.length;
  return { file, entry, chunks };
}

async function writeBatch(
  ctx: IndexContext,
  manifest: Manifest,
  carryPending: string[],
  batch: Prepared[],
  result: IndexRunResult,
  onProgress: (p: ProgressUpdate) => void,
  saveManifest: (m: Manifest) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const chunks = batch.flatMap((b) => b.chunks);
  const names = batch.length === 1 ? batch[0].file.rel : `${batch.length} files`;
  const vectors = await ctx.encoder.embed(
    chunks.map((c) => c.text),
    'passage',
    { signal, onBatch: (done) => onProgress({ phase: 'embed', done, total: chunks.length, message: names }) },
  );
  throwIfAborted(signal);
  onProgress({ phase: 'write', done: 0, total: chunks.length, message: names });
  const sources = batch.map((b) => b.file.rel);
  manifest.pending = [...carryPending, ...sources];
  saveManifest(manifest);
  result.chunksRemoved += await ctx.store.deleteSources(sources);
  const hashOf = new Map(batch.map((b) => [b.file.rel, b.entry.hash]));
  const rows: ChunkRow[] = chunks.map((c, i) => ({
    id: c.id,
    note_id: c.noteId,
    patient_id: c.patientId,
    note_type: c.noteType,
    date: c.date,
    source: c.source,
    row: c.row,
    char_start: c.charStart,
    char_end: c.charEnd,
    text: c.text,
    vector: vectors[i],
    file_hash: hashOf.get(c.source) ?? '',
  }));
  await ctx.store.add(rows, ctx.encoder.info.dim);
  for (const b of batch) manifest.files[b.file.rel] = b.entry;
  manifest.pending = [...carryPending];
  saveManifest(manifest);
  result.chunksAdded += rows.length;
  onProgress({ phase: 'write', done: chunks.length, total: chunks.length, message: names });
}

interface Scope {
  roots: Array<{ abs: string; rel: string }>;
  covers: (rel: string) => boolean;
}

/** The part of the workspace a run is responsible for: everything, or the given files and folders. */
export function scopeOf(root: string, paths: readonly string[] | undefined): Scope {
  if (!paths || paths.length === 0) return { roots: [{ abs: root, rel: '' }], covers: () => true };
  const roots = paths.map((p) => {
    const abs = path.resolve(root, p);
    return { abs, rel: toRel(root, abs) };
  });
  return {
    roots: roots.filter((r) => !r.rel.startsWith('..')),
    covers: (rel) => roots.some((r) => r.rel === '' || rel === r.rel || rel.startsWith(r.rel + '/')),
  };
}
