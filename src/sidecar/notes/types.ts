/** Values shared by the note readers and the chunker. Pure data, no I/O. */
import type { ChunkingOptions, ColumnMapping, Problem } from '../../shared/protocol';

/** One note, as read from a .txt/.md file or one row of a .csv/.jsonl export. */
export interface Note {
  noteId: string;
  patientId: string;
  noteType: string;
  date: string;
  /** Workspace-relative path of the file, with '/' separators. */
  source: string;
  /** 1-based data row for CSV/JSONL, -1 for a file that is one note. */
  row: number;
  /** The string the char offsets point into: the whole file (.txt/.md) or the text field (row). */
  text: string;
  /** Where the note's words start in `text` (after front matter for .md/.txt, else 0). */
  bodyStart: number;
}

export interface Chunk {
  id: string;
  noteId: string;
  patientId: string;
  noteType: string;
  date: string;
  source: string;
  row: number;
  charStart: number;
  charEnd: number;
  text: string;
}

export interface ReadOptions {
  columns: ColumnMapping;
  maxFileBytes: number;
}

export interface ParsedFile {
  notes: Note[];
  problems: Problem[];
}

export type { ChunkingOptions, ColumnMapping, Problem };
