/** The chunk table's explicit Arrow schema (docs/CONTRACTS.md; DESIGN.md "Index"). */
import { Field, FixedSizeList, Float32, Int32, Schema, Utf8 } from 'apache-arrow';

export const TABLE_NAME = 'chunks';

export interface ChunkRow {
  id: string;
  note_id: string;
  patient_id: string;
  note_type: string;
  date: string;
  /** Workspace-relative path, '/' separators. */
  source: string;
  /** 1-based data row of a CSV/JSONL note, -1 for a file that is one note. */
  row: number;
  char_start: number;
  char_end: number;
  text: string;
  vector: Float32Array;
  /** sha256 of the source file's bytes when the row was written. */
  file_hash: string;
}

export function chunkSchema(dim: number): Schema {
  return new Schema([
    new Field('id', new Utf8(), false),
    new Field('note_id', new Utf8(), false),
    new Field('patient_id', new Utf8(), false),
    new Field('note_type', new Utf8(), false),
    new Field('date', new Utf8(), false),
    new Field('source', new Utf8(), false),
    new Field('row', new Int32(), false),
    new Field('char_start', new Int32(), false),
    new Field('char_end', new Int32(), false),
    new Field('text', new Utf8(), false),
    new Field('vector', new FixedSizeList(dim, new Field('item', new Float32(), true)), false),
    new Field('file_hash', new Utf8(), false),
  ]);
}

/** Columns returned by searches (everything but the vector). */
export const RESULT_COLUMNS = ['id', 'note_id', 'patient_id', 'note_type', 'date', 'source', 'row', 'char_start', 'char_end', 'text'];
