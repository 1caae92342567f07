/**
 * A CSV or JSONL export streamed note by note: the same notes and problems as `parseNoteFile` (parse.ts) on the
 * whole file, in file order, with memory bounded whatever the file size (one record of at most `maxNoteBytes` plus
 * the readers' buffers; the ids of the notes read, to keep them unique within the file). Each item carries the byte
 * position after its record (and a note the position before it), so a run can stop after any note and resume there.
 *
 * The caller has checked the file as a whole first (not empty, not binary, valid UTF-8: decode.ts on a streamed
 * pass, see the indexer). Problems name the file, rows and lines, never a cell value.
 */
import type { ColumnMapping, Problem } from '../../shared/protocol';
import { resolveColumns, type ResolvedColumns } from './columns';
import { FILE_START, fileLines, READ_CHUNK, streamCsv, type StreamPos } from './csvStream';
import { csvRecordMessage, jsonRecordNote, noteTooLargeMessage, noTextColumn, noteFormat, rowNote, type MakeProblem } from './parse';
import type { Note } from './types';

export type { StreamPos } from './csvStream';
export { FILE_START } from './csvStream';

export interface NoteStreamOptions {
  columns: ColumnMapping;
  /** The limit for one note (drehr.notes.maxFileSizeMB): a longer row is skipped with a problem. */
  maxNoteBytes: number;
  /** Resume here (a record boundary from an earlier item's `end`); the header or first object is read again. */
  start?: StreamPos;
  /** Note ids already given to rows before `start` (resume); filled as notes are read. */
  seenIds?: Set<string>;
  /** Bytes per read (tests). */
  readChunk?: number;
}

export type NoteStreamItem =
  | { kind: 'note'; note: Note; start: StreamPos; end: StreamPos }
  /** `fatal`: the file cannot be read as notes at all; this replaces its other problems and ends the stream. */
  | { kind: 'problem'; problem: Problem; end: StreamPos; fatal?: boolean };

export async function* streamNotes(abs: string, relPath: string, opts: NoteStreamOptions): AsyncGenerator<NoteStreamItem> {
  const problem: MakeProblem = (severity, message, row) => (row === undefined ? { path: relPath, severity, message } : { path: relPath, row, severity, message });
  const seen = opts.seenIds ?? new Set<string>();
  const start = opts.start ?? FILE_START;
  let any = start.offset > 0;
  const unique = function* (note: Note, s: StreamPos, end: StreamPos): Generator<NoteStreamItem> {
    if (seen.has(note.noteId)) {
      yield { kind: 'problem', problem: problem('warning', `Row ${note.row} repeats note id ${note.noteId}; indexed as ${note.noteId}#${note.row}.`, note.row), end };
      note.noteId = `${note.noteId}#${note.row}`;
    }
    seen.add(note.noteId);
    yield { kind: 'note', note, start: s, end };
  };
  const format = noteFormat(relPath);
  if (format === 'csv') {
    let header: string[] | undefined;
    if (start.offset > 0) {
      for await (const item of streamCsv(abs, { maxRecordBytes: recordCap(opts.maxNoteBytes), readChunk: opts.readChunk })) {
        if (item.kind === 'header') header = item.header;
        break;
      }
    }
    let cols: ResolvedColumns | undefined;
    let index = new Map<string, number>();
    try {
      for await (const item of streamCsv(abs, { start, header, maxRecordBytes: recordCap(opts.maxNoteBytes), readChunk: opts.readChunk })) {
        if (item.kind === 'header') header = item.header;
        if (cols === undefined && header !== undefined) {
          cols = resolveColumns(header, opts.columns);
          index = new Map(header.map((h, i) => [h, i]));
          if (!cols.text) {
            yield { kind: 'problem', problem: noTextColumn(header, problem, false).problems[0], end: item.end, fatal: true };
            return;
          }
        }
        if (item.kind === 'header' || !header || !cols) continue;
        any = true;
        const rec = item.rec;
        if ('error' in rec) {
          yield { kind: 'problem', problem: problem('error', csvRecordMessage(rec, header.length), rec.row), end: item.end };
          continue;
        }
        const get = (c: string | undefined): string => (c === undefined ? '' : (rec.fields[index.get(c) ?? -1] ?? '').trim());
        const note = rowNote(relPath, rec.row, get, cols);
        note.text = rec.fields[index.get(cols.text!) ?? -1] ?? '';
        const bytes = Buffer.byteLength(note.text, 'utf8');
        if (bytes > opts.maxNoteBytes) yield { kind: 'problem', problem: problem('error', noteTooLargeMessage(rec.row, bytes, opts.maxNoteBytes, false), rec.row), end: item.end };
        else if (note.text.trim() === '') yield { kind: 'problem', problem: problem('warning', `Row ${rec.row} has no note text; skipped.`, rec.row), end: item.end };
        else yield* unique(note, item.start, item.end);
      }
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('the header line')) throw e;
      yield { kind: 'problem', problem: problem('error', `Not a readable CSV: ${e.message}. Check the file's header line.`), end: start, fatal: true };
      return;
    }
    if (!any) yield { kind: 'problem', problem: problem('warning', 'File has no rows; nothing to index.'), end: start };
    return;
  }
  if (format !== 'jsonl') throw new Error(`streamNotes: not an export: ${relPath}`);
  let cols: ResolvedColumns | undefined;
  if (start.offset > 0) {
    // The columns come from the file's first JSON object, as on a read from the start.
    for await (const l of fileLines(abs, 0, 1, recordCap(opts.maxNoteBytes), opts.readChunk ?? READ_CHUNK)) {
      const obj = l.bytes ? jsonObject(l.bytes, l.offset === 0) : undefined;
      if (obj) {
        cols = resolveColumns(Object.keys(obj), opts.columns);
        break;
      }
    }
  }
  for await (const l of fileLines(abs, start.offset, start.line, recordCap(opts.maxNoteBytes), opts.readChunk ?? READ_CHUNK)) {
    const row = l.line;
    const end: StreamPos = { offset: l.offset + l.size, row, line: l.line + 1 };
    if (!l.bytes) {
      any = true;
      yield { kind: 'problem', problem: problem('error', noteTooLargeMessage(row, l.size, opts.maxNoteBytes, true), row), end };
      continue;
    }
    const text = lineText(l.bytes, l.offset === 0).trim();
    if (text === '') continue;
    any = true;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      yield { kind: 'problem', problem: problem('error', `Line ${row} is not valid JSON; skipped, the other lines are indexed.`, row), end };
      continue;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      yield { kind: 'problem', problem: problem('error', `Line ${row} is not a JSON object; skipped.`, row), end };
      continue;
    }
    const rec = obj as Record<string, unknown>;
    cols ??= resolveColumns(Object.keys(rec), opts.columns);
    if (!cols.text) {
      yield { kind: 'problem', problem: noTextColumn(Object.keys(rec), problem, true).problems[0], end, fatal: true };
      return;
    }
    const note = jsonRecordNote(relPath, row, rec, cols);
    const bytes = Buffer.byteLength(note.text, 'utf8');
    if (bytes > opts.maxNoteBytes) yield { kind: 'problem', problem: problem('error', noteTooLargeMessage(row, bytes, opts.maxNoteBytes, true), row), end };
    else if (note.text.trim() === '') yield { kind: 'problem', problem: problem('warning', `Line ${row} has no note text; skipped.`, row), end };
    else yield* unique(note, { offset: l.offset, row: row - 1, line: l.line }, end);
  }
  if (!any) yield { kind: 'problem', problem: problem('warning', 'File has no rows; nothing to index.'), end: start };
}

/** A record may hold a little more than its note text (the other cells, quotes): the reader's buffer limit. */
export function recordCap(maxNoteBytes: number): number {
  return maxNoteBytes + 65536;
}

function lineText(bytes: Buffer, fileStart: boolean): string {
  const s = bytes.toString('utf8');
  return fileStart && s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

function jsonObject(bytes: Buffer, fileStart: boolean): Record<string, unknown> | undefined {
  const text = lineText(bytes, fileStart).trim();
  if (text === '') return undefined;
  try {
    const o = JSON.parse(text) as unknown;
    return typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
