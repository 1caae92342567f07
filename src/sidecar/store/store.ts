/**
 * The LanceDB chunk table: writes by source (delete then add, so a repeated write is idempotent), dense and
 * BM25 search with filters, index upkeep (FTS after writes; IVF_PQ once the table is large). Any LanceDB
 * failure to read the table becomes IndexCorrupt.
 */
import '../../shared/nativeEnvInit'; // before LanceDB: a safe CPU pool size
import * as lancedb from '@lancedb/lancedb';
import { errorMessage, indexCorrupt } from '../errors';
import type { Logger } from '../log';
import * as path from 'node:path';
import { isUri } from '../../shared/defaults';
import { BUILD_STALL_MS, watchBuild } from './buildWatch';
import { tableDamage } from './integrity';
import { ANN_MIN_ROWS, annParams, annSearchParams } from './ann';
import { equals, inList, sourceFilters, sqlString, underFolder } from './filters';
import { chunkSchema, RESULT_COLUMNS, TABLE_NAME, type ChunkRow } from './schema';

/** A row as searches return it (no vector). */
export type StoredChunk = Omit<ChunkRow, 'vector' | 'file_hash'>;

export interface RankedChunk {
  chunk: StoredChunk;
  score: number;
  /** LanceDB's row id, on rankings read with `idsOnly` (id, note_id and patient_id): Store.fillRows reads the rest by it. */
  rowId?: bigint;
}

/**
 * What a ranking needs (fusion by id, grouping by patient, notes per patient): deep rankings (1000 passages for the
 * patients view) read only these, and the hits shown get their other columns by row id (fillRows). Lance stores each
 * column apart, so every column read costs a random read per row: at 1M chunks the expansion forms of one search,
 * 1000 deep each, took 262 ms with the nine other columns and 67 ms with two (bench/RESULTS.md).
 */
const LEAN_COLUMNS = ['id', 'note_id', 'patient_id'];

export interface StoreOptions {
  /** How long an index build may make no progress before it is reported (default BUILD_STALL_MS). */
  stallMs?: number;
  /** How often the watchdog looks (default BUILD_CHECK_MS). */
  checkMs?: number;
}

export interface RefreshResult {
  /** Row count of an ANN (re)build. */
  built?: number;
  /** Set when a build stalled: what happened and what to do. */
  stalled?: string;
}

export class Store {
  private table: lancedb.Table | undefined;
  private annPartitions = 0;

  private constructor(
    readonly location: string,
    private readonly db: lancedb.Connection,
    private readonly log: Logger,
    private readonly opts: StoreOptions,
  ) {}

  static async open(location: string, log: Logger, opts: StoreOptions = {}): Promise<Store> {
    let db: lancedb.Connection;
    try {
      // Re-check the table version at most every second, so a reader sees another process's writes.
      db = await lancedb.connect(location, { readConsistencyInterval: 1 });
    } catch (e) {
      throw indexCorrupt(location, errorMessage(e));
    }
    const store = new Store(location, db, log, opts);
    await store.reopen();
    return store;
  }

  /** Opens the table again (after another process wrote it, or after a rebuild). */
  async reopen(): Promise<void> {
    this.table?.close();
    this.table = undefined;
    try {
      if ((await this.db.tableNames()).includes(TABLE_NAME)) this.table = await this.db.openTable(TABLE_NAME);
      if (this.table) await this.refreshIndexInfo();
    } catch (e) {
      this.table = undefined;
      throw indexCorrupt(this.location, errorMessage(e));
    }
  }

  /** Which files of a local table are missing or cut short (a cheap check of its files, no rows read), or undefined. */
  damage(): string | undefined {
    if (!this.table || isUri(this.location)) return undefined;
    return tableDamage(path.join(this.location, `${TABLE_NAME}.lance`));
  }

  get exists(): boolean {
    return this.table !== undefined;
  }

  get hasAnn(): boolean {
    return this.annPartitions > 0;
  }

  private hasFts = false;
  get hasFtsIndex(): boolean {
    return this.hasFts;
  }

  /** Which indexes exist; the ANN partition count follows from the rows it was built for (else today's rows). */
  async refreshIndexInfo(annBuiltAt?: number): Promise<void> {
    const indices = this.table ? await this.table.listIndices() : [];
    this.hasFts = indices.some((i) => i.indexType === 'FTS');
    const ann = indices.find((i) => i.columns.includes('vector'));
    this.annPartitions = 0;
    if (ann && this.table) {
      const rows = annBuiltAt ?? (await this.table.countRows());
      this.annPartitions = annParams(rows, 1).numPartitions;
    }
  }

  private async guard<T>(what: () => Promise<T>): Promise<T> {
    try {
      return await what();
    } catch (e) {
      throw indexCorrupt(this.location, errorMessage(e));
    }
  }

  async ensureTable(dim: number): Promise<lancedb.Table> {
    if (this.table) return this.table;
    const t = await this.guard(() => this.db.createEmptyTable(TABLE_NAME, chunkSchema(dim), { mode: 'overwrite' }));
    this.table = t;
    return t;
  }

  /** Drops the table (rebuild, model change). */
  async drop(): Promise<void> {
    this.table?.close();
    this.table = undefined;
    this.hasFts = false;
    this.annPartitions = 0;
    await this.guard(async () => {
      if ((await this.db.tableNames()).includes(TABLE_NAME)) await this.db.dropTable(TABLE_NAME);
    });
  }

  async count(filter?: string): Promise<number> {
    if (!this.table) return 0;
    const t = this.table;
    return this.guard(() => t.countRows(filter));
  }

  /** Deletes every row of these sources, and of every source under these folders. Returns rows deleted. */
  async deleteSources(sources: readonly string[], folders: readonly string[] = []): Promise<number> {
    if (!this.table || (sources.length === 0 && folders.length === 0)) return 0;
    const t = this.table;
    const filters = [...sourceFilters(sources), ...folders.map(underFolder)];
    return this.guard(async () => {
      let deleted = 0;
      for (const f of filters) {
        const n = await t.countRows(f);
        if (n > 0) {
          await t.delete(f);
          deleted += n;
        }
      }
      return deleted;
    });
  }

  /**
   * Before continuing a file a killed run left half written: deletes its rows of other versions (file_hash) and
   * returns how many rows of this version are there. Rows are added in chunk order, one atomic add a batch, so
   * they are the file's first `kept` chunks.
   */
  async resumeSource(source: string, fileHash: string): Promise<{ deleted: number; kept: number }> {
    if (!this.table) return { deleted: 0, kept: 0 };
    const t = this.table;
    const other = `${equals('source', source)} AND file_hash != ${sqlString(fileHash)}`;
    return this.guard(async () => {
      const deleted = await t.countRows(other);
      if (deleted > 0) await t.delete(other);
      return { deleted, kept: await t.countRows(`${equals('source', source)} AND ${equals('file_hash', fileHash)}`) };
    });
  }

  /**
   * Before continuing an export inside the file (manifest `partial`): deletes its rows of other versions and of data
   * rows after `rowsDone` (a batch a killed run wrote but did not record), and returns how many rows are kept.
   */
  async resumeExport(source: string, fileHash: string, rowsDone: number): Promise<{ deleted: number; kept: number }> {
    if (!this.table) return { deleted: 0, kept: 0 };
    const t = this.table;
    const drop = `${equals('source', source)} AND (file_hash != ${sqlString(fileHash)} OR row > ${Math.floor(rowsDone)})`;
    return this.guard(async () => {
      const deleted = await t.countRows(drop);
      if (deleted > 0) await t.delete(drop);
      return { deleted, kept: await t.countRows(equals('source', source)) };
    });
  }

  /** The notes (id and patient) that have rows from `source`, each once. */
  async notesOf(source: string): Promise<Array<{ noteId: string; patientId: string }>> {
    if (!this.table) return [];
    const t = this.table;
    const out = new Map<string, string>();
    await this.guard(async () => {
      for await (const batch of t.query().where(equals('source', source)).select(['note_id', 'patient_id']) as AsyncIterable<{ numRows: number; getChild(name: string): { get(i: number): unknown } | null }>) {
        const ids = batch.getChild('note_id');
        const pats = batch.getChild('patient_id');
        for (let i = 0; i < batch.numRows; i++) out.set(String(ids?.get(i)), String(pats?.get(i)));
      }
    });
    return [...out].map(([noteId, patientId]) => ({ noteId, patientId }));
  }

  async add(rows: readonly ChunkRow[], dim: number): Promise<void> {
    if (rows.length === 0) return;
    const t = await this.ensureTable(dim);
    const schema = chunkSchema(dim);
    await this.guard(() => t.add(lancedb.makeArrowTable(rows as unknown as Record<string, unknown>[], { schema })));
  }

  /** Set while an index build that stalled is still outstanding: what stalled and what to do (status shows it). */
  get stalledBuild(): string | undefined {
    return this.stalled;
  }
  private stalled: string | undefined;
  private outstanding: Promise<unknown> | undefined;

  /**
   * Brings the FTS index up to date and builds the ANN index once the table is large. `annBuiltAt` is the row
   * count the ANN index was built for (from the manifest): once the table has grown 4x past it, sqrt(n)
   * partitions no longer fit and the index is built again. Every build runs under a watchdog (watchBuild): one
   * that makes no progress is reported and left behind, and searches go on without that index.
   */
  async refreshIndexes(dim: number, annMinRows = ANN_MIN_ROWS, annBuiltAt?: number): Promise<RefreshResult> {
    if (!this.table) return {};
    if (this.outstanding) return { stalled: this.stalled };
    const t = this.table;
    const rows = await this.guard(() => t.countRows());
    if (rows === 0) return {};
    const watch = async (what: string, build: () => Promise<unknown>): Promise<boolean> => {
      const p = build();
      const outcome = await watchBuild(p, { stallMs: this.opts.stallMs, checkMs: this.opts.checkMs });
      if (outcome === 'done') return true;
      const s = Math.round((this.opts.stallMs ?? BUILD_STALL_MS) / 1000);
      this.stalled =
        `Building the ${what} over ${rows} chunks made no progress for ${s} s, so it was left behind; searches work without it (slower). ` +
        `If LANCE_CPU_THREADS is set to 1, set it to 2 or more (or unset it); then restart DR.EHR (or run drehr index again).`;
      this.log.warn(this.stalled);
      this.outstanding = p.then(
        () => this.refreshIndexInfo().catch(() => undefined),
        () => undefined,
      ).finally(() => {
        this.outstanding = undefined;
        this.stalled = undefined;
      });
      return false;
    };
    return this.guard(async () => {
      if (!this.hasFts && !(await watch('full-text index', () => t.createIndex('text', { config: lancedb.Index.fts(), replace: true })))) return { stalled: this.stalled };
      let built: number | undefined;
      const outgrown = this.annPartitions > 0 && annBuiltAt !== undefined && rows >= 4 * annBuiltAt;
      if ((this.annPartitions === 0 || outgrown) && rows >= annMinRows) {
        const p = annParams(rows, dim);
        this.log.info(`Building the ANN index (IVF_PQ, ${p.numPartitions} partitions, ${p.numSubVectors} sub-vectors) over ${rows} chunks.`);
        if (!(await watch('vector index (IVF_PQ)', () => t.createIndex('vector', { config: lancedb.Index.ivfPq({ ...p, distanceType: 'cosine' }), replace: true })))) {
          await this.refreshIndexInfo(annBuiltAt);
          return { stalled: this.stalled };
        }
        built = rows;
      }
      const optimized = await watch('index update (optimize)', () => t.optimize({ cleanupOlderThan: new Date(Date.now() - 60_000) }));
      await this.refreshIndexInfo(built ?? annBuiltAt);
      return optimized ? { built } : { built, stalled: this.stalled };
    });
  }

  /**
   * The k nearest chunks by cosine. With an ANN index: its probes and re-ranking from annSearchParams (for this k),
   * unless `tune` overrides the re-ranking factor or asks for an exact (flat) search (the benchmarks do); `idsOnly` as
   * for bm25.
   */
  async dense(vector: Float32Array, k: number, where: string | undefined, tune?: { refineFactor?: number; exact?: boolean; idsOnly?: boolean }): Promise<RankedChunk[]> {
    if (!this.table) return [];
    const t = this.table;
    const lean = tune?.idsOnly === true;
    return this.guard(async () => {
      let q = t.vectorSearch(Array.from(vector)).distanceType('cosine').select([...(lean ? LEAN_COLUMNS : RESULT_COLUMNS), '_distance']).limit(k);
      if (lean) q = q.withRowId();
      if (tune?.exact) q = q.bypassVectorIndex();
      else if (this.annPartitions > 0) {
        const s = annSearchParams(this.annPartitions, k);
        q = q.nprobes(s.nprobes).refineFactor(tune?.refineFactor ?? s.refineFactor);
      }
      if (where) q = q.where(where);
      const rows = (await q.toArray()) as Array<StoredChunk & { _distance: number; _rowid?: bigint }>;
      return rows.map((r) => ranked(r, 1 - r._distance));
    });
  }

  /** BM25 over the full-text index; `idsOnly` reads id, note_id and patient_id only (the rest later with fillRows). */
  async bm25(query: string, k: number, where: string | undefined, opts?: { idsOnly?: boolean }): Promise<RankedChunk[]> {
    // Without a full-text index (not built yet, or its build stalled) lexical search finds nothing; dense still works.
    if (!this.table || !this.hasFts || query.trim() === '') return [];
    const t = this.table;
    const lean = opts?.idsOnly === true;
    return this.guard(async () => {
      let q = t.query().fullTextSearch(new lancedb.MatchQuery(query, 'text')).select([...(lean ? LEAN_COLUMNS : RESULT_COLUMNS), '_score']).limit(k);
      if (lean) q = q.withRowId();
      if (where) q = q.where(where);
      const rows = (await q.toArray()) as Array<StoredChunk & { _score: number; _rowid?: bigint }>;
      return rows.map((r) => ranked(r, r._score));
    });
  }

  /**
   * Reads the other columns of chunks ranked lean, in place: one take by row id, then a lookup by chunk id for any
   * the take did not return as the same chunk (the table was compacted or rewritten in between). Returns the chunks
   * found; a chunk deleted since it was ranked is left out.
   */
  async fillRows<T extends { chunk: StoredChunk; rowId?: bigint }>(items: readonly T[]): Promise<T[]> {
    const lacks = (x: T): boolean => x.rowId !== undefined && !x.chunk.text;
    const missing = items.filter(lacks);
    if (!this.table || missing.length === 0) return [...items];
    const t = this.table;
    const rows = new Map<string, StoredChunk>();
    const withRow = missing.filter((x) => x.rowId !== undefined);
    if (withRow.length) {
      try {
        const got = (await this.guard(() => t.takeRowIds(withRow.map((x) => x.rowId as bigint)).select(RESULT_COLUMNS).toArray())) as StoredChunk[];
        for (const r of got) rows.set(r.id, plain(r));
      } catch (e) {
        // Row ids from before a compaction may point past the table's end now; the lookup by chunk id below finds them.
        this.log.info(`Reading passages by row id failed (${errorMessage(e)}); reading them by chunk id.`);
      }
    }
    const rest = [...new Set(missing.map((x) => x.chunk.id).filter((id) => !rows.has(id)))];
    for (let i = 0; i < rest.length; i += 200) {
      const ids = rest.slice(i, i + 200);
      const got = (await this.guard(() => t.query().where(inList('id', ids)).select(RESULT_COLUMNS).toArray())) as StoredChunk[];
      for (const r of got) rows.set(r.id, plain(r));
    }
    for (const x of missing) {
      const row = rows.get(x.chunk.id);
      if (row) Object.assign(x.chunk, row);
    }
    return items.filter((x) => !lacks(x));
  }

  /** The first chunk of a note (to find its source and row). */
  async noteLocation(noteId: string): Promise<StoredChunk | undefined> {
    if (!this.table) return undefined;
    const t = this.table;
    const rows = await this.guard(() => t.query().where(equals('note_id', noteId)).select(RESULT_COLUMNS).limit(1).toArray());
    return rows.length ? plain(rows[0] as StoredChunk) : undefined;
  }

  /** A chunk's stored vector (Find Similar Passages), undefined when the chunk is not in the table. */
  async vectorOf(chunkId: string): Promise<Float32Array | undefined> {
    if (!this.table) return undefined;
    const t = this.table;
    const rows = await this.guard(() => t.query().where(equals('id', chunkId)).select(['vector']).limit(1).toArray());
    if (rows.length === 0) return undefined;
    const v = (rows[0] as { vector: ArrayLike<number> | { toArray(): ArrayLike<number> } }).vector;
    return Float32Array.from('toArray' in v ? v.toArray() : v);
  }

  /** The chunks with these ids (any order; missing ids are simply absent). */
  async chunksByIds(ids: readonly string[]): Promise<StoredChunk[]> {
    if (!this.table || ids.length === 0) return [];
    const t = this.table;
    const rows = await this.guard(() => t.query().where(inList('id', ids)).select(RESULT_COLUMNS).limit(ids.length).toArray());
    return rows.map((r) => plain(r as StoredChunk));
  }

  /**
   * The text of up to `limit` chunks in table order, one batch at a time (the spelling suggester's vocabulary).
   * Returns how many chunks it read. `onText` gets note text: never log it.
   */
  async scanTexts(limit: number, onText: (text: string) => void, signal?: AbortSignal): Promise<number> {
    if (!this.table) return 0;
    const t = this.table;
    return this.guard(async () => {
      let n = 0;
      for await (const batch of t.query().select(['text']).limit(limit)) {
        const col = batch.getChild('text');
        if (!col) break;
        for (const s of col) {
          if (typeof s === 'string') onText(s);
          n++;
        }
        if (signal?.aborted) break;
        // Let searches through between batches: the scan is background work.
        await new Promise((r) => setImmediate(r));
      }
      return n;
    });
  }

  /** Every chunk id (tests, benchmarks: compare two indexes). */
  async allIds(): Promise<string[]> {
    if (!this.table) return [];
    const t = this.table;
    const rows = await this.guard(() => t.query().select(['id']).toArray());
    return rows.map((r) => (r as { id: string }).id);
  }

  close(): void {
    this.table?.close();
    this.table = undefined;
    this.db.close();
  }
}

/** A ranked row as returned by a search (lean rows carry their row id, their ids, and empty other columns). */
function ranked(r: StoredChunk & { _rowid?: bigint }, score: number): RankedChunk {
  if (r._rowid === undefined) return { chunk: plain(r), score };
  const chunk: StoredChunk = { id: r.id, note_id: r.note_id, patient_id: r.patient_id, note_type: '', date: '', source: '', row: -1, char_start: 0, char_end: 0, text: '' };
  return { chunk, score, rowId: r._rowid };
}

function plain(r: StoredChunk): StoredChunk {
  return {
    id: r.id,
    note_id: r.note_id,
    patient_id: r.patient_id,
    note_type: r.note_type,
    date: r.date,
    source: r.source,
    row: r.row,
    char_start: r.char_start,
    char_end: r.char_end,
    text: r.text,
  };
}
