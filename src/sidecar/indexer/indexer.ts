/**
 * One index run: scan, plan against the manifest, then batch by batch read → chunk → embed → write, recording
 * each batch in the manifest only after its rows are written. Batches hold at most `batchChunks` chunks across
 * files, so a huge note is written in many batches; a file stays pending until its last chunk is written, and a
 * pending file resumes from its rows of the same file_hash. Rows of a source are deleted before its rows are
 * added, so a batch redone after a crash or a cancel leaves no duplicates. The caller holds the write lock.
 * CSV/JSONL exports are streamed (any size), and a run stopped inside one continues there (manifest `partial`).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineConfig, IndexParams, IndexResult, Problem } from '../../shared/protocol';
import type { Encoder } from '../encoder/encoder';
import { CancelledError, errorMessage, indexCorrupt, throwIfAborted } from '../errors';
import type { Logger } from '../log';
import { CHUNKER_VERSION, iterateChunks } from '../notes/chunker';
import { noteFormat, parseNoteFile, tooLargeProblem, undecodableMessage } from '../notes/parse';
import { streamNotes, type StreamPos } from '../notes/stream';
import type { Chunk, Note } from '../notes/types';
import type { ChunkRow } from '../store/schema';
import type { Store } from '../store/store';
import { emptyManifest, engineTag, fingerprintChange, noteWriter, planRun, readManifest, writeManifest, type FileEntry, type Fingerprint, type Manifest, type ScannedFile } from './manifest';
import { checkExport } from './exportCheck';
import { Scanner, toRel } from './scan';

export interface ProgressUpdate {
  /** `read`: bytes of a CSV/JSONL export read so far (unit 'bytes'), for big exports. */
  phase: 'scan' | 'read' | 'embed' | 'write' | 'index';
  done: number;
  total: number;
  message?: string;
  /** Set when done/total are bytes. */
  unit?: 'bytes';
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
  /**
   * Distributed indexing (distributed.ts): this run indexes only the files `accepts` takes, with `metaDir` holding
   * this rank's own manifest. The table was prepared by rank 0 (loadManifest: resets, table created) and rank 0
   * builds the search indexes once every rank is done, so this run neither resets nor builds them.
   */
  shard?: { accepts: (rel: string) => boolean };
}

export type IndexRunResult = Omit<IndexResult, 'status'>;

interface Prepared {
  file: ScannedFile;
  /** `chunks` counts up as the chunks are taken from the iterator. */
  entry: FileEntry;
  chunks: Iterable<Chunk> | AsyncIterable<Chunk>;
  /** Continues a half-written file: its first segment deletes nothing. */
  resumed?: boolean;
  /** A streamed CSV/JSONL export. */
  stream?: ExportState;
}

/** A streamed export's reading state: where each row in flight started, to record how far the file got. */
interface ExportState {
  /** Where to start reading (a resume point from manifest `partial`, or the file start). */
  from: StreamPos;
  /** Note ids given so far in this file (filled from the table on resume). */
  seenIds: Set<string>;
  /** Start of each data row whose chunks are not yet recorded. */
  rowStarts: Map<number, StreamPos>;
  /** Problems already passed on to the run's result. */
  reported: number;
  /** Size and mtime right after the check pass: a file that changes while it is read is done again next run. */
  checked: string;
}

function statOf(abs: string): string {
  try {
    const st = fs.statSync(abs);
    return `${st.size}:${st.mtimeMs}`;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'gone';
  }
}

/** A run of consecutive chunks of one file inside a write batch. */
interface Segment {
  prep: Prepared;
  chunks: Chunk[];
  /** The file's first segment in this run: the file's old rows go before it is written. */
  first: boolean;
  /** The file's last segment: once written, the file is recorded in the manifest. */
  last: boolean;
}

export function fingerprintOf(config: EngineConfig, modelId: string, precision: 'fp32' | 'int8' = 'fp32'): Fingerprint {
  return { modelId, precision, chunker: CHUNKER_VERSION, chunking: { ...config.chunking }, columns: { ...config.columns } };
}

function manifestSaver(metaDir: string): (m: Manifest) => void {
  return (m) => {
    try {
      writeManifest(metaDir, m);
    } catch (e) {
      throw indexCorrupt(metaDir, `cannot write manifest.json: ${errorMessage(e)}`);
    }
  };
}

/** The manifest in `ctx.metaDir`, reset (the table dropped, its rows counted in `result`) when it cannot describe the table any more. */
export async function loadManifest(ctx: Pick<IndexContext, 'config' | 'encoder' | 'store' | 'metaDir' | 'log'>, rebuild: boolean | undefined, result: Pick<IndexRunResult, 'chunksRemoved'>): Promise<Manifest> {
  const { config, store, metaDir, log } = ctx;
  const fp = fingerprintOf(config, ctx.encoder.info.id, ctx.encoder.info.precision);
  const saveManifest = manifestSaver(metaDir);
  const read = readManifest(metaDir);
  let manifest = read.state === 'ok' ? read.manifest : emptyManifest(fp);
  let reset: string | undefined;
  if (rebuild) reset = 'a rebuild was asked for';
  else if (read.state === 'corrupt') reset = `the manifest is unreadable (${read.reason})`;
  else if (read.state === 'ok') reset = fingerprintChange(manifest, fp) ?? (!store.exists && Object.keys(manifest.files).length > 0 ? 'the index table is missing' : undefined);
  else if (store.exists) reset = 'the manifest is missing';
  // A table with a lost or cut-short file cannot be read in part; re-embed (deleting its rows would read it too).
  reset ??= store.damage();
  if (reset) {
    log.info(`Re-embedding every note: ${reset}.`);
    result.chunksRemoved += await store.count();
    await store.drop();
    manifest = emptyManifest(fp);
    saveManifest(manifest);
  }
  return manifest;
}

export async function runIndex(ctx: IndexContext, params: IndexParams, onProgress: (p: ProgressUpdate) => void, signal?: AbortSignal): Promise<IndexRunResult> {
  const started = Date.now();
  const { config, store, metaDir, log, shard } = ctx;
  const result: IndexRunResult = { filesScanned: 0, filesIndexed: 0, filesUnchanged: 0, filesRemoved: 0, chunksAdded: 0, chunksRemoved: 0, problems: [], cancelled: false, durationMs: 0 };
  const saveManifest = manifestSaver(metaDir);

  // 1. The manifest, reset when it cannot describe the table any more (a rank's manifest: never reset here).
  let manifest: Manifest;
  if (shard) {
    const read = readManifest(metaDir);
    if (read.state !== 'ok') throw indexCorrupt(metaDir, `this rank's manifest.json is ${read.state === 'missing' ? 'missing' : `unreadable (${read.reason})`}`);
    manifest = read.manifest;
  } else {
    manifest = await loadManifest(ctx, params.rebuild, result);
  }

  // 2. Scan (the whole workspace or the given paths).
  onProgress({ phase: 'scan', done: 0, total: 0, message: 'Looking for notes' });
  const indexAbs = path.resolve(config.indexLocation);
  const scanner = new Scanner({ root: config.workspaceRoot, include: config.include, exclude: config.exclude, skip: [indexAbs, path.resolve(metaDir)] });
  const scope = scopeOf(config.workspaceRoot, params.paths);
  const scanned: ScannedFile[] = [];
  const goneFolders: string[] = [];
  for (const s of scope.roots) {
    if (fs.existsSync(s.abs)) {
      for (const f of scanner.scan(s.abs)) if (!shard || shard.accepts(f.rel)) scanned.push(f);
    } else if (s.rel !== '') goneFolders.push(s.rel);
  }
  result.filesScanned = scanned.length;
  // A folder that cannot be read now keeps its rows: only what the scan saw can be judged deleted.
  const plan = planRun(manifest, scanned, (rel) => scope.covers(rel) && !scanner.underUnreadable(rel) && (!shard || shard.accepts(rel)));
  result.problems.push(...scanProblems(scanner));
  const carryPending = manifest.pending.filter((p) => !scope.covers(p));

  // 3. Removed files (and paths that no longer exist, which may be folders).
  if (plan.removed.length || goneFolders.length) {
    onProgress({ phase: 'write', done: 0, total: plan.removed.length, message: 'Removing deleted notes' });
    result.chunksRemoved += await store.deleteSources([...plan.removed, ...goneFolders], goneFolders);
    for (const rel of plan.removed) {
      delete manifest.files[rel];
      if (manifest.partial) delete manifest.partial[rel];
    }
    manifest.pending = carryPending;
    result.filesRemoved = plan.removed.length;
    saveManifest(manifest);
  }
  result.filesUnchanged = plan.unchanged.length;
  for (const f of plan.unchanged) result.problems.push(...manifest.files[f.rel].problems);

  // 4. Changed and new files, in batches of at most `batchChunks` chunks across files: a huge note is written in
  // many batches, and the small files before it are recorded as soon as their batch is written.
  const pendingBefore = new Set(manifest.pending);
  const total = plan.check.length;
  const limit = Math.max(1, ctx.batchChunks ?? 256);
  const inProgress = new Set<string>();
  let segments: Segment[] = [];
  let queued = 0;
  let checked = 0;
  const flush = async (): Promise<void> => {
    if (segments.length === 0) return;
    await writeBatch(ctx, manifest, carryPending, inProgress, segments, result, onProgress, saveManifest, signal);
    segments = [];
    queued = 0;
  };
  try {
    for (const file of plan.check) {
      throwIfAborted(signal);
      checked++;
      onProgress({ phase: 'scan', done: checked, total, message: file.rel });
      const forced = pendingBefore.has(file.rel);
      const prepared = isExport(file.rel)
        ? await prepareExport(config, file, manifest.files[file.rel], forced, onProgress, signal)
        : prepareFile(config, file, manifest.files[file.rel], forced);
      if (prepared === 'unchanged') {
        manifest.files[file.rel] = { ...manifest.files[file.rel], mtimeMs: file.mtimeMs };
        result.filesUnchanged++;
        result.problems.push(...manifest.files[file.rel].problems);
        continue;
      }
      result.problems.push(...prepared.entry.problems);
      // A file left half written by a killed or cancelled run: keep the rows of this version (written in chunk
      // order, so they are its first chunks) and go on from there.
      let skip = 0;
      const partial = manifest.partial?.[file.rel];
      if (prepared.stream && forced && partial && partial.hash === prepared.entry.hash && partial.size === file.size) {
        // An export a killed or cancelled run stopped inside: continue at the first row it did not record.
        const r = await store.resumeExport(file.rel, prepared.entry.hash, partial.row);
        result.chunksRemoved += r.deleted;
        prepared.entry.chunks = r.kept;
        prepared.entry.problems.push(...partial.problems);
        result.problems.push(...partial.problems);
        prepared.stream.reported = prepared.entry.problems.length;
        for (const n of await store.notesOf(file.rel)) {
          prepared.stream.seenIds.add(n.noteId);
          prepared.entry.patients[n.patientId] = (prepared.entry.patients[n.patientId] ?? 0) + 1;
        }
        prepared.stream.from = { offset: partial.offset, row: partial.row, line: partial.line };
        prepared.resumed = true;
        log.info(`Continuing ${file.rel} at row ${partial.row + 1} (byte ${partial.offset} of ${file.size}); ${r.kept} chunks of it were written before.`);
      } else if (prepared.stream) {
        // Read from the start: the first batch deletes whatever rows the file had.
        if (manifest.partial) delete manifest.partial[file.rel];
      } else if (forced) {
        const r = await store.resumeSource(file.rel, prepared.entry.hash);
        result.chunksRemoved += r.deleted;
        skip = r.kept;
        prepared.resumed = true;
      }
      let seg: Segment = { prep: prepared, chunks: [], first: true, last: false };
      for await (const chunk of prepared.chunks) {
        prepared.entry.chunks++;
        if (skip > 0) {
          skip--;
          continue;
        }
        seg.chunks.push(chunk);
        if (++queued >= limit) {
          segments.push(seg);
          await flush();
          throwIfAborted(signal);
          seg = { prep: prepared, chunks: [], first: false, last: false };
        }
      }
      if (prepared.stream) result.problems.push(...prepared.entry.problems.slice(prepared.stream.reported));
      seg.last = true;
      segments.push(seg);
      if (queued >= limit) await flush();
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
  if (!shard && !result.cancelled && (result.chunksAdded > 0 || result.chunksRemoved > 0)) {
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
  for (const note of parsed.notes) entry.patients[note.patientId] = (entry.patients[note.patientId] ?? 0) + 1;
  return { file, entry, chunks: chunksOf(parsed.notes, config) };
}

function* chunksOf(notes: readonly Note[], config: EngineConfig): Generator<Chunk> {
  for (const note of notes) yield* iterateChunks(note, config.chunking);
}

/** Exports from this size report bytes read (phase 'read'); smaller ones are read in a moment. */
export const READ_PROGRESS_MIN_BYTES = 1 << 20;

function isExport(rel: string): boolean {
  const f = noteFormat(rel);
  return f === 'csv' || f === 'jsonl';
}

/**
 * A CSV/JSONL export, streamed: a first pass hashes it and checks it is text (bounded memory, no rows kept), then
 * its notes are read, chunked and handed out a chunk at a time as the batches take them. drehr.notes.maxFileSizeMB
 * applies to each note, not to the file.
 */
async function prepareExport(
  config: EngineConfig,
  file: ScannedFile,
  old: FileEntry | undefined,
  forced: boolean,
  onProgress: (p: ProgressUpdate) => void,
  signal: AbortSignal | undefined,
): Promise<Prepared | 'unchanged'> {
  const abs = path.join(config.workspaceRoot, file.rel);
  const entry: FileEntry = { hash: '', size: file.size, mtimeMs: file.mtimeMs, chunks: 0, patients: {}, problems: [] };
  const check = await checkExport(abs, (done) => onProgress({ phase: 'read', done, total: file.size, message: `${file.rel} (checking)`, unit: 'bytes' }), signal);
  throwIfAborted(signal);
  if ('error' in check) {
    entry.hash = 'unreadable';
    entry.problems.push({ path: file.rel, severity: 'error', message: `Cannot read the file (${check.error}); skipped. Check its permissions.` });
    return { file, entry, chunks: [] };
  }
  entry.hash = check.hash;
  entry.size = check.size;
  if (old && old.hash === entry.hash && !forced) return 'unchanged';
  if (check.size === 0) {
    entry.problems.push({ path: file.rel, severity: 'warning', message: 'File is empty; nothing to index.' });
    return { file, entry, chunks: [] };
  }
  if (check.undecodable) {
    entry.problems.push({ path: file.rel, severity: 'error', message: undecodableMessage(check.undecodable) });
    return { file, entry, chunks: [] };
  }
  const checked = statOf(abs);
  const state: ExportState = { from: { offset: 0, row: 0, line: 1 }, seenIds: new Set(), rowStarts: new Map(), reported: 0, checked };
  const prep: Prepared = { file, entry, chunks: [], stream: state };
  prep.chunks = exportChunks(config, abs, prep, state, onProgress);
  return prep;
}

async function* exportChunks(config: EngineConfig, abs: string, prep: Prepared, state: ExportState, onProgress: (p: ProgressUpdate) => void): AsyncGenerator<Chunk> {
  const { file, entry } = prep;
  const step = Math.max(1 << 20, Math.floor(file.size / 200));
  let shown = -step;
  const show = (offset: number): void => {
    if (file.size < READ_PROGRESS_MIN_BYTES || (offset - shown < step && offset < file.size)) return;
    shown = offset;
    onProgress({ phase: 'read', done: offset, total: file.size, message: file.rel, unit: 'bytes' });
  };
  for await (const item of streamNotes(abs, file.rel, { columns: config.columns, maxNoteBytes: config.maxFileBytes, start: state.from, seenIds: state.seenIds })) {
    if (item.kind === 'problem') {
      entry.problems.push(item.problem);
    } else {
      const note = item.note;
      state.rowStarts.set(note.row, item.start);
      entry.patients[note.patientId] = (entry.patients[note.patientId] ?? 0) + 1;
      yield* iterateChunks(note, config.chunking);
    }
    show(item.end.offset);
  }
  show(file.size);
  if (statOf(abs) !== state.checked) {
    // Its rows may mix two versions: a hash no content has makes the next run read it again from the start.
    entry.hash = `changed-while-indexed:${entry.hash}`;
    entry.problems.push({ path: file.rel, severity: 'warning', message: 'File changed while it was being indexed; it will be indexed again from the start on the next run.' });
  }
}

/** After a batch that ends inside an export: it continues at the start of the row of its last written chunk. */
function recordPartial(manifest: Manifest, prep: Prepared, lastRow: number): void {
  const state = prep.stream!;
  const at = state.rowStarts.get(lastRow);
  if (!at) return;
  for (const r of state.rowStarts.keys()) if (r < lastRow) state.rowStarts.delete(r);
  manifest.partial ??= {};
  manifest.partial[prep.file.rel] = {
    hash: prep.entry.hash,
    size: prep.entry.size,
    mtimeMs: prep.file.mtimeMs,
    offset: at.offset,
    row: at.row,
    line: at.line,
    problems: prep.entry.problems.filter((p) => p.row === undefined || p.row <= at.row),
  };
}

async function writeBatch(
  ctx: IndexContext,
  manifest: Manifest,
  carryPending: string[],
  inProgress: Set<string>,
  segments: Segment[],
  result: IndexRunResult,
  onProgress: (p: ProgressUpdate) => void,
  saveManifest: (m: Manifest) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const chunks = segments.flatMap((s) => s.chunks);
  const files = [...new Set(segments.map((s) => s.prep.file.rel))];
  const names = files.length === 1 ? files[0] : `${files.length} files`;
  const vectors = chunks.length
    ? await ctx.encoder.embed(
        chunks.map((c) => c.text),
        'passage',
        { signal, onBatch: (done) => onProgress({ phase: 'embed', done, total: chunks.length, message: names }) },
      )
    : [];
  throwIfAborted(signal);
  onProgress({ phase: 'write', done: 0, total: chunks.length, message: names });
  // Every file with rows about to change is pending until its last segment is written and recorded.
  manifest.pending = [...carryPending, ...new Set([...inProgress, ...files])];
  saveManifest(manifest);
  result.chunksRemoved += await ctx.store.deleteSources(segments.filter((s) => s.first && !s.prep.resumed).map((s) => s.prep.file.rel));
  const hashOf = new Map(segments.map((s) => [s.prep.file.rel, s.prep.entry.hash]));
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
  for (const s of segments) {
    const rel = s.prep.file.rel;
    if (s.last) {
      manifest.files[rel] = s.prep.entry;
      inProgress.delete(rel);
      result.filesIndexed++;
      if (manifest.partial) delete manifest.partial[rel];
    } else {
      inProgress.add(rel);
      if (s.prep.stream) recordPartial(manifest, s.prep, s.chunks[s.chunks.length - 1].row);
    }
  }
  if (manifest.partial && Object.keys(manifest.partial).length === 0) delete manifest.partial;
  noteWriter(manifest, engineTag(ctx.encoder.info));
  manifest.pending = [...carryPending, ...inProgress];
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
