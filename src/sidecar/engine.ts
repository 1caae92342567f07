/**
 * The engine: one model, one index, one workspace. The sidecar server, the CLI and the evaluation code all use
 * it in-process. API (documented in README.md): Engine.open, index, search, status, listPatients, getNote, getChunks,
 * validateModel, close. Errors are EngineError with a protocol ErrorCode.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isUri } from '../shared/defaults';
import {
  ErrorCodes,
  type ChunkText,
  type EngineConfig,
  type IndexParams,
  type IndexResult,
  type IndexStatus,
  type ModelInfo,
  type NoteText,
  type PatientSummary,
  type PatientSearchParams,
  type PatientSearchResult,
  type SearchParams,
  type SearchResult,
  type SimilarParams,
} from '../shared/protocol';
import { Encoder, type EncoderOptions } from './encoder/encoder';
import { EngineError, errorMessage, indexCorrupt } from './errors';
import { loadLexicon, type Lexicon } from './expansion/lexicon';
import { runIndex, type ProgressUpdate } from './indexer/indexer';
import { foldLeftoverShards } from './indexer/distributed';
import { acquireWriteLock } from './indexer/lock';
import { manifestTotals, patientCounts, readManifest, MANIFEST_FILE } from './indexer/manifest';
import type { Logger } from './log';
import { noteFormat, parseNoteFile } from './notes/parse';
import { streamNotes } from './notes/stream';
import type { Note } from './notes/types';
import { searchPatients, searchStore, similarPassages } from './search';
import { TABLE_NAME } from './store/schema';
import { Store } from './store/store';
import { Speller } from './vocabulary';

export type { ProgressUpdate } from './indexer/indexer';

export interface EngineOptions {
  /** onnxruntime intra-op threads (default: one per CPU core). */
  threads?: number;
  /** Chunks per write batch (default 256). */
  batchChunks?: number;
  /** Rows from which an IVF_PQ index is built (default 20 000). */
  annMinRows?: number;
  encoderBatch?: EncoderOptions['batch'];
  /** How long an index build may make no progress before it is reported and left behind (tests lower it). */
  buildStallMs?: number;
  /** Chunks read for the spelling suggester's vocabulary (default VOCABULARY_CHUNKS; tests lower it). */
  vocabularyChunks?: number;
  /** Queries arrive whole (the CLI): every search waits for the spelling vocabulary and checks every word. */
  wholeQueries?: boolean;
  /** The torch engine's precision, batches in flight and child environment (tests, benchmarks). */
  torch?: Pick<EncoderOptions, 'torchDtype' | 'inFlight' | 'torchEnv' | 'torchWorkers'>;
}

/** Local folder for manifest.json and the write lock: the index folder, or .drehr/index-meta for a URI index. */
export function metaDirOf(config: Pick<EngineConfig, 'indexLocation' | 'workspaceRoot'>): string {
  return isUri(config.indexLocation) ? path.join(config.workspaceRoot, '.drehr', 'index-meta') : config.indexLocation;
}

export class Engine {
  private store: Store | undefined;
  private corruptReason: string | undefined;
  private indexing: Promise<unknown> = Promise.resolve();
  private busy = false;
  private lexicon: Lexicon | undefined;
  private speller: Speller | undefined;
  private readonly closing = new AbortController();

  private constructor(
    readonly config: EngineConfig,
    readonly encoder: Encoder,
    private readonly log: Logger,
    private readonly options: EngineOptions,
  ) {}

  /** Loads the model (ModelInvalid, DeviceUnavailable) and opens the index (a corrupt index is reported by status()). */
  static async open(config: EngineConfig, log: Logger, options: EngineOptions = {}): Promise<Engine> {
    const encoder = await Encoder.open({ modelDir: config.modelDir, device: config.device, precision: config.precision, threads: options.threads, batch: options.encoderBatch, engine: config.engine, python: config.python, ...options.torch }, log);
    const engine = new Engine(config, encoder, log, options);
    engine.lexicon = engine.readLexicon();
    await engine.openStore();
    return engine;
  }

  /** The model's lexicon.json.gz for query expansion; a broken one is logged and ignored (it is optional). */
  private readLexicon(): Lexicon | undefined {
    const rel = this.encoder.model.drehr.lexicon ?? 'lexicon.json.gz';
    const file = path.join(this.encoder.model.dir, rel);
    if (!fs.existsSync(file)) return undefined;
    try {
      const lex = loadLexicon(file);
      this.log.info(`Query expansion: ${lex.concepts.length} concepts from ${rel}.`);
      return lex;
    } catch (e) {
      this.log.warn(`${rel} in the model folder cannot be read (${errorMessage(e)}); searching without query expansion.`);
      return undefined;
    }
  }

  get model(): ModelInfo {
    return this.encoder.info;
  }

  /** Local folder for manifest.json and the write lock (beside the index, or in .drehr for a URI index). */
  get metaDir(): string {
    return metaDirOf(this.config);
  }

  private async openStore(): Promise<void> {
    this.store?.close();
    this.store = undefined;
    this.corruptReason = undefined;
    try {
      this.store = await Store.open(this.config.indexLocation, this.log, { stallMs: this.options.buildStallMs, checkMs: this.options.buildStallMs ? Math.max(10, this.options.buildStallMs / 10) : undefined });
      const read = readManifest(this.metaDir);
      if (read.state === 'ok' && read.manifest.annRows) await this.store.refreshIndexInfo(read.manifest.annRows);
    } catch (e) {
      this.corruptReason = e instanceof EngineError && e.data && 'reason' in e.data ? e.data.reason : errorMessage(e);
      this.log.warn(`The index cannot be opened: ${this.corruptReason}`);
    }
  }

  /** Indexes the workspace (or params.paths). Runs in this engine one at a time; other processes get IndexLocked. */
  async index(params: IndexParams, onProgress: (p: ProgressUpdate) => void = () => {}, signal?: AbortSignal): Promise<IndexResult> {
    // close() stops a running index at the next batch boundary instead of waiting for all of it.
    const both = signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
    const run = this.indexing.then(() => this.indexNow(params, onProgress, both));
    this.indexing = run.catch(() => undefined);
    return run;
  }

  private async indexNow(params: IndexParams, onProgress: (p: ProgressUpdate) => void, signal?: AbortSignal): Promise<IndexResult> {
    const release = acquireWriteLock(this.metaDir);
    this.busy = true;
    try {
      foldLeftoverShards(this.metaDir, this.log); // what an interrupted `drehr index --distributed` recorded
      if (params.rebuild) await this.wipe();
      else if (!this.store || (this.store.exists && this.tableGone())) await this.openStore(); // deleted under us: start afresh
      if (!this.store) throw indexCorrupt(this.config.indexLocation, this.corruptReason ?? 'unknown');
      const ctx = { config: this.config, encoder: this.encoder, store: this.store, metaDir: this.metaDir, log: this.log, batchChunks: this.options.batchChunks ?? (this.encoder.torch?.hello.device === 'cuda' ? 4096 : undefined), annMinRows: this.options.annMinRows };
      let result;
      try {
        result = await runIndex(ctx, params, onProgress, signal);
      } catch (e) {
        if (e instanceof EngineError && e.code === ErrorCodes.IndexCorrupt) {
          this.corruptReason = e.data && 'reason' in e.data ? e.data.reason : e.message;
          this.store?.close();
          this.store = undefined;
        }
        throw e;
      }
      this.busy = false;
      return { ...result, status: await this.status() };
    } finally {
      this.busy = false;
      release();
    }
  }

  /** True when the table's folder vanished from disk while it was open (a local index deleted under us). */
  private tableGone(): boolean {
    return !isUri(this.config.indexLocation) && !fs.existsSync(path.join(this.config.indexLocation, `${TABLE_NAME}.lance`));
  }

  /** Removes the table and the manifest (rebuild; also recovers a corrupt index). The lock file stays. */
  private async wipe(): Promise<void> {
    this.store?.close();
    this.store = undefined;
    fs.rmSync(path.join(this.metaDir, MANIFEST_FILE), { force: true });
    if (!isUri(this.config.indexLocation)) {
      fs.rmSync(path.join(this.config.indexLocation, `${TABLE_NAME}.lance`), { recursive: true, force: true });
    }
    await this.openStore();
    const store = this.store as Store | undefined;
    if (store) await store.drop();
  }

  async search(params: SearchParams, signal?: AbortSignal): Promise<SearchResult> {
    const store = await this.searchableStore();
    const expand = params.expand ?? this.config.queryExpansion;
    const result = await searchStore(store, this.encoder, params, signal, expand ? this.lexicon : undefined);
    return this.withSuggestion(store, params, result, result.hits.length === 0);
  }

  /** Patients ranked by their passages (src/sidecar/patients.ts), each with its best passages. */
  async searchPatients(params: PatientSearchParams, signal?: AbortSignal): Promise<PatientSearchResult> {
    const store = await this.searchableStore();
    const expand = params.expand ?? this.config.queryExpansion;
    const result = await searchPatients(store, this.encoder, params, signal, expand ? this.lexicon : undefined);
    return this.withSuggestion(store, params, result, result.patients.length === 0);
  }

  /**
   * "Did you mean" for a query with words the index and the lexicon do not know (not for the evaluation's
   * one-note searches). A search without results waits for the index's vocabulary; one with results does not
   * (unless queries arrive whole), and its last word may still be being typed.
   */
  private async withSuggestion<R extends SearchResult | PatientSearchResult>(store: Store, params: SearchParams, result: R, empty: boolean): Promise<R> {
    if (params.noteId !== undefined) return result;
    this.speller ??= new Speller(this.lexicon, this.log, { maxChunks: this.options.vocabularyChunks });
    const started = performance.now();
    const whole = this.options.wholeQueries === true;
    const s = await this.speller.suggest(params.query, store, String(this.manifestMtime()), { wait: empty || whole, typing: !empty && !whole });
    if (s) result.suggestion = { query: s.query, corrections: s.corrections.map((c) => ({ from: c.from, to: c.to })) };
    result.tookMs += performance.now() - started;
    return result;
  }

  /** Changes whenever an index run (of this or another process) finishes a batch. */
  private manifestMtime(): number {
    try {
      return fs.statSync(path.join(this.metaDir, MANIFEST_FILE)).mtimeMs;
    } catch {
      return 0;
    }
  }

  /** Passages like one passage (its stored vector as the query). */
  async similar(params: SimilarParams, signal?: AbortSignal): Promise<SearchResult> {
    return similarPassages(await this.searchableStore(), params, signal);
  }

  private async searchableStore(): Promise<Store> {
    if (!this.store) {
      await this.openStore();
      if (!this.store) throw indexCorrupt(this.config.indexLocation, this.corruptReason ?? 'unknown');
    }
    if (!this.store.exists || this.tableGone()) await this.store.reopen();
    if (!this.store.exists) throw new EngineError(ErrorCodes.NotIndexed, 'There is no index yet. Run "DR.EHR: Index Workspace" (CLI: drehr index <folder>) first.');
    return this.store;
  }

  async status(): Promise<IndexStatus> {
    const location = this.config.indexLocation;
    const base: IndexStatus = { state: 'missing', location, notes: 0, chunks: 0, patients: 0, modelMismatch: false, hasAnnIndex: false, hasFtsIndex: false };
    if (this.corruptReason || !this.store) return { ...base, state: 'corrupt', detail: `${this.corruptReason ?? 'not open'}. Run "DR.EHR: Rebuild Index".` };
    if (this.store.exists && this.tableGone()) {
      return { ...base, detail: 'The index folder was deleted. Index the workspace again to rebuild it.' };
    }
    const damage = this.busy ? undefined : this.store.damage();
    if (damage) return { ...base, state: 'corrupt', detail: `${damage[0].toUpperCase()}${damage.slice(1)}. Index again to repair it (every note is embedded again).` };
    const read = readManifest(this.metaDir);
    let chunks: number;
    try {
      if (!this.store.exists) await this.store.reopen();
      chunks = await this.store.count();
    } catch (e) {
      return { ...base, state: 'corrupt', detail: `${errorMessage(e)}` };
    }
    const status: IndexStatus = { ...base, chunks, hasAnnIndex: this.store.hasAnn, hasFtsIndex: this.store.hasFtsIndex };
    if (read.state === 'corrupt') return { ...status, state: 'corrupt', detail: `${read.reason}. Run "DR.EHR: Rebuild Index".` };
    if (read.state === 'missing') return { ...status, state: this.busy ? 'indexing' : this.store.exists ? 'stale' : 'missing', detail: this.store.exists ? 'The manifest is missing.' : undefined };
    const m = read.manifest;
    const totals = manifestTotals(m);
    status.notes = totals.notes;
    status.patients = totals.patients;
    status.modelId = m.modelId;
    const precisionChanged = (m.precision ?? 'fp32') !== this.encoder.info.precision;
    status.modelMismatch = m.modelId !== this.encoder.info.id || precisionChanged;
    if (m.lastIndexedAt) status.lastIndexedAt = m.lastIndexedAt;
    if (this.busy) {
      status.state = 'indexing';
    } else if (status.modelMismatch) {
      status.state = 'stale';
      status.detail = precisionChanged && m.modelId === this.encoder.info.id
        ? `Built with the ${m.precision ?? 'fp32'} graph of ${m.modelId}; the ${this.encoder.info.precision} graph is loaded. Index again to re-embed.`
        : `Built with model ${m.modelId}; the loaded model is ${this.encoder.info.id}. Index again to re-embed.`;
    } else if (m.pending.length > 0 || !m.lastIndexedAt) {
      status.state = 'stale';
      status.detail = 'An index run did not finish. Index again to complete it.';
    } else {
      status.state = chunks === 0 ? 'empty' : 'ready';
    }
    if (this.store.stalledBuild) status.detail = status.detail ? `${status.detail} ${this.store.stalledBuild}` : this.store.stalledBuild;
    return status;
  }

  listPatients(): PatientSummary[] {
    const read = readManifest(this.metaDir);
    if (read.state !== 'ok') return [];
    return [...patientCounts(read.manifest).entries()].map(([patientId, notes]) => ({ patientId, notes })).sort((a, b) => a.patientId.localeCompare(b.patientId));
  }

  /** The full text of an indexed note (for CSV/JSONL rows, which have no file of their own). */
  async getNote(noteId: string): Promise<NoteText> {
    const loc = this.store ? await this.store.noteLocation(noteId) : undefined;
    if (!loc) throw new EngineError(ErrorCodes.BadRequest, `Note ${noteId} is not in the index. Index the workspace again.`);
    const abs = path.join(this.config.workspaceRoot, loc.source);
    let note: Note | undefined;
    try {
      if (loc.row >= 0 && noteFormat(loc.source) !== 'text') {
        // An export, streamed up to the row (it may be gigabytes).
        let first: Note | undefined;
        for await (const item of streamNotes(abs, loc.source, { columns: this.config.columns, maxNoteBytes: this.config.maxFileBytes })) {
          if (item.kind !== 'note' || item.note.noteId !== noteId) continue;
          first ??= item.note;
          if (item.note.row === loc.row) {
            note = item.note;
            break;
          }
        }
        note ??= first;
      } else {
        const parsed = parseNoteFile(loc.source, fs.readFileSync(abs), { columns: this.config.columns, maxFileBytes: this.config.maxFileBytes });
        note = parsed.notes.find((n) => n.noteId === noteId && (loc.row < 0 || n.row === loc.row)) ?? parsed.notes.find((n) => n.noteId === noteId);
      }
    } catch (e) {
      throw new EngineError(ErrorCodes.BadRequest, `The file of note ${noteId} (${loc.source}) cannot be read: ${errorMessage(e)}`);
    }
    if (!note) throw new EngineError(ErrorCodes.BadRequest, `Note ${noteId} is no longer in ${loc.source}. Index the workspace again.`);
    const out: NoteText = { noteId, patientId: note.patientId, sourcePath: note.source, text: note.text };
    if (note.row >= 0) out.row = note.row;
    return out;
  }

  /** Chunks by id, in the order asked; null for an id the index does not hold (the pairs review). */
  async getChunks(chunkIds: readonly string[]): Promise<(ChunkText | null)[]> {
    if (!this.store) {
      await this.openStore();
      if (!this.store) throw indexCorrupt(this.config.indexLocation, this.corruptReason ?? 'unknown');
    }
    if (!this.store.exists || this.tableGone()) await this.store.reopen();
    if (!this.store.exists) throw new EngineError(ErrorCodes.NotIndexed, 'There is no index yet. Run "DR.EHR: Index Workspace" (CLI: drehr index <folder>) first.');
    const rows = await this.store.chunksByIds([...new Set(chunkIds)]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return chunkIds.map((id) => {
      const r = byId.get(id);
      if (!r) return null;
      const c: ChunkText = { chunkId: r.id, text: r.text, noteId: r.note_id, patientId: r.patient_id, source: r.source, charStart: r.char_start, charEnd: r.char_end };
      if (r.row >= 0) c.row = r.row;
      return c;
    });
  }

  /** Loads a model folder to check it, without switching to it. */
  static async validateModel(modelDir: string, log: Logger): Promise<ModelInfo> {
    const enc = await Encoder.open({ modelDir, device: 'cpu', threads: 1 }, log);
    const info = enc.info;
    await enc.close();
    return info;
  }

  async close(): Promise<void> {
    this.closing.abort();
    try {
      await this.indexing;
    } finally {
      this.store?.close();
      this.store = undefined;
      await this.encoder.close();
    }
  }
}
