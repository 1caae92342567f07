/**
 * Reads the chunks of the index (no vectors unless asked) straight from its LanceDB table, in a stable order:
 * by source file, row, then position. Used by the generators and the suspicion score; read-only.
 */
import * as lancedb from '@lancedb/lancedb';
import { errorMessage, indexCorrupt } from '../errors';
import { RESULT_COLUMNS, TABLE_NAME } from '../store/schema';

export interface IndexChunk {
  id: string;
  noteId: string;
  patientId: string;
  source: string;
  /** 1-based data row of a CSV/JSONL note, -1 for a file that is one note. */
  row: number;
  charStart: number;
  charEnd: number;
  text: string;
  vector?: Float32Array;
}

export async function readIndexChunks(location: string, opts: { vectors?: boolean; ids?: ReadonlySet<string> } = {}): Promise<IndexChunk[]> {
  let db: lancedb.Connection | undefined;
  let table: lancedb.Table | undefined;
  try {
    db = await lancedb.connect(location);
    if (!(await db.tableNames()).includes(TABLE_NAME)) return [];
    table = await db.openTable(TABLE_NAME);
    const cols = opts.vectors ? [...RESULT_COLUMNS, 'vector'] : RESULT_COLUMNS;
    const rows = (await table.query().select(cols).toArray()) as Array<Record<string, unknown>>;
    const out: IndexChunk[] = [];
    for (const r of rows) {
      const id = String(r.id);
      if (opts.ids && !opts.ids.has(id)) continue;
      const c: IndexChunk = {
        id,
        noteId: String(r.note_id),
        patientId: String(r.patient_id),
        source: String(r.source),
        row: Number(r.row),
        charStart: Number(r.char_start),
        charEnd: Number(r.char_end),
        text: String(r.text),
      };
      if (opts.vectors && r.vector) c.vector = Float32Array.from(r.vector as ArrayLike<number>);
      out.push(c);
    }
    return out.sort(chunkOrder);
  } catch (e) {
    throw indexCorrupt(location, errorMessage(e));
  } finally {
    table?.close();
    db?.close();
  }
}

export function chunkOrder(a: IndexChunk, b: IndexChunk): number {
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  if (a.row !== b.row) return a.row - b.row;
  if (a.charStart !== b.charStart) return a.charStart - b.charStart;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
