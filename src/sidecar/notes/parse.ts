/**
 * One note file's bytes → notes and problems. Pure (no I/O): the indexer reads the bytes, this decides.
 * .txt/.md: one note with optional front matter. .csv/.jsonl: one note a row, columns per ColumnMapping.
 * Problems never contain note text.
 */
import { decodeNoteBytes } from './decode';
import { parseFrontMatter } from './frontmatter';
import { parseCsv, type CsvBroken } from './csv';
import { resolveColumns, type ResolvedColumns } from './columns';
import type { Note, ParsedFile, Problem, ReadOptions } from './types';

export type NoteFormat = 'text' | 'csv' | 'jsonl';

export function noteFormat(relPath: string): NoteFormat | undefined {
  const ext = relPath.slice(relPath.lastIndexOf('.') + 1).toLowerCase();
  if (ext === 'txt' || ext === 'md') return 'text';
  if (ext === 'csv') return 'csv';
  if (ext === 'jsonl') return 'jsonl';
  return undefined;
}

/** Patient of a note without a patient field: its parent folder, or 'default' at the workspace root. */
export function patientFromPath(relPath: string): string {
  const parts = relPath.split('/');
  return parts.length > 1 ? parts[parts.length - 2] : 'default';
}

export function tooLargeProblem(relPath: string, size: number, maxFileBytes: number): Problem {
  const mb = (n: number): string => (n / 1048576).toFixed(1);
  return {
    path: relPath,
    severity: 'error',
    message: `File is ${mb(size)} MB, over the ${mb(maxFileBytes)} MB limit; skipped. Raise drehr.notes.maxFileSizeMB or split the file.`,
  };
}

export function undecodableMessage(reason: 'binary' | 'encoding'): string {
  return reason === 'binary'
    ? 'File holds NUL bytes, so it is binary, not a note; skipped. Exclude it with drehr.notes.exclude.'
    : 'File is not valid UTF-8; skipped. Convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8) and index again.';
}

export function parseNoteFile(relPath: string, bytes: Uint8Array, opts: ReadOptions): ParsedFile {
  const problem = (severity: Problem['severity'], message: string, row?: number): Problem =>
    row === undefined ? { path: relPath, severity, message } : { path: relPath, row, severity, message };
  const format = noteFormat(relPath);
  if (!format) return { notes: [], problems: [problem('error', 'Not a note file (.txt, .md, .csv or .jsonl); skipped.')] };
  if (bytes.length > opts.maxFileBytes) return { notes: [], problems: [tooLargeProblem(relPath, bytes.length, opts.maxFileBytes)] };
  if (bytes.length === 0) return { notes: [], problems: [problem('warning', 'File is empty; nothing to index.')] };
  const decoded = decodeNoteBytes(bytes);
  if (!decoded.ok) return { notes: [], problems: [problem('error', undecodableMessage(decoded.reason))] };
  const text = decoded.text;
  if (format === 'text') return parseTextNote(relPath, text, problem);
  const parsed = format === 'csv' ? parseCsvNotes(relPath, text, opts, problem) : parseJsonlNotes(relPath, text, opts, problem);
  if (parsed.notes.length === 0 && parsed.problems.length === 0) parsed.problems.push(problem('warning', 'File has no rows; nothing to index.'));
  uniqueNoteIds(parsed, problem);
  return parsed;
}

/** A note id used twice in one export would give two chunks one id: later rows get `<id>#<row>`, with a warning. */
function uniqueNoteIds(parsed: ParsedFile, problem: MakeProblem): void {
  const seen = new Set<string>();
  for (const n of parsed.notes) {
    if (seen.has(n.noteId)) {
      parsed.problems.push(problem('warning', `Row ${n.row} repeats note id ${n.noteId}; indexed as ${n.noteId}#${n.row}.`, n.row));
      n.noteId = `${n.noteId}#${n.row}`;
    }
    seen.add(n.noteId);
  }
}

export type MakeProblem = (severity: Problem['severity'], message: string, row?: number) => Problem;

function parseTextNote(relPath: string, text: string, problem: MakeProblem): ParsedFile {
  const fm = parseFrontMatter(text);
  if (text.slice(fm.bodyStart).trim() === '') return { notes: [], problems: [problem('warning', 'Note has no text; nothing to index.')] };
  const f = fm.fields;
  const note: Note = {
    noteId: f.note_id || relPath.replace(/\.[^./]*$/, ''),
    patientId: f.patient_id || patientFromPath(relPath),
    noteType: f.note_type ?? '',
    date: f.date ?? '',
    source: relPath,
    row: -1,
    text,
    bodyStart: fm.bodyStart,
  };
  return { notes: [note], problems: [] };
}

export function rowNote(relPath: string, row: number, get: (column: string | undefined) => string, cols: ResolvedColumns): Note {
  return {
    noteId: get(cols.noteId) || `${relPath}#${row}`,
    patientId: get(cols.patientId) || patientFromPath(relPath),
    noteType: get(cols.noteType),
    date: get(cols.date),
    source: relPath,
    row,
    text: get(cols.text),
    bodyStart: 0,
  };
}

/** One JSONL object as a note: other fields trimmed and stringified, the text as written (a non-string text is ''). */
export function jsonRecordNote(relPath: string, row: number, rec: Record<string, unknown>, cols: ResolvedColumns): Note {
  const get = (c: string | undefined): string => {
    const v = c === undefined ? undefined : rec[c];
    return v === undefined || v === null ? '' : typeof v === 'string' ? v.trim() : String(v);
  };
  const note = rowNote(relPath, row, get, cols);
  const raw = cols.text === undefined ? undefined : rec[cols.text];
  note.text = typeof raw === 'string' ? raw : '';
  return note;
}

/**
 * No text column. CSV header names are not shown: in a file without a header line they are the first row's
 * cells (note text). JSONL keys are field names, so they are.
 */
export function noTextColumn(header: readonly string[], problem: MakeProblem, showNames: boolean): ParsedFile {
  const found = showNames ? `found: ${header.slice(0, 12).join(', ')}` : `the header line has ${header.length} column${header.length === 1 ? '' : 's'}; if the file has no header line, add one`;
  return {
    notes: [],
    problems: [problem('error', `No note text column (looked for text, note, note_text; ${found}). Set drehr.columns.text.`)],
  };
}

function lines(a: number, b: number): string {
  return a === b ? `line ${a}` : `lines ${a}–${b}`;
}

/** The problem message of a CSV record that was skipped (rows and lines only, never a value). */
export function csvRecordMessage(rec: CsvBroken, width: number): string {
  const span = lines(rec.firstLine, rec.lastLine);
  if (rec.tooLarge) return `Row ${rec.row} (${span}) ${rec.error}; skipped. Raise drehr.notes.maxFileSizeMB or split the note.`;
  return rec.fieldCount !== undefined
    ? `Row ${rec.row} (${span}) ${rec.error}; skipped. Check the commas and quoting in that row.`
    : rec.resumedAt !== undefined
      ? `Row ${rec.row} (line ${rec.firstLine}) ${rec.error}; skipped ${span}, reading resumed at line ${rec.resumedAt}. Fix the quoting in that row.`
      : `Row ${rec.row} (line ${rec.firstLine}) ${rec.error}, and no later line reads as a row of ${width} fields, so ${span} (the rest of the file) ${rec.firstLine === rec.lastLine ? 'was' : 'were'} skipped. Fix the quoting in that row.`;
}

/** A note over the size limit (drehr.notes.maxFileSizeMB applies to one row of an export). */
export function noteTooLargeMessage(row: number, bytes: number, maxBytes: number, jsonl: boolean): string {
  const mb = (n: number): string => (n / 1048576).toFixed(1);
  return `${jsonl ? 'Line' : 'Row'} ${row} holds a note of ${mb(bytes)} MB, over the ${mb(maxBytes)} MB limit for one note; skipped. Raise drehr.notes.maxFileSizeMB or split the note.`;
}

function parseCsvNotes(relPath: string, text: string, opts: ReadOptions, problem: MakeProblem): ParsedFile {
  let table;
  try {
    table = parseCsv(text);
  } catch (e) {
    return { notes: [], problems: [problem('error', `Not a readable CSV: ${(e as Error).message}. Check the file's header line.`)] };
  }
  const cols = resolveColumns(table.header, opts.columns);
  if (!cols.text) return noTextColumn(table.header, problem, false);
  const index = new Map(table.header.map((h, i) => [h, i]));
  const notes: Note[] = [];
  const problems: Problem[] = [];
  for (const rec of table.records) {
    if ('error' in rec) {
      problems.push(problem('error', csvRecordMessage(rec, table.header.length), rec.row));
      continue;
    }
    const get = (c: string | undefined): string => (c === undefined ? '' : (rec.fields[index.get(c) ?? -1] ?? '').trim());
    const note = rowNote(relPath, rec.row, get, cols);
    note.text = rec.fields[index.get(cols.text) ?? -1] ?? '';
    if (note.text.trim() === '') problems.push(problem('warning', `Row ${rec.row} has no note text; skipped.`, rec.row));
    else notes.push(note);
  }
  return { notes, problems };
}

function parseJsonlNotes(relPath: string, text: string, opts: ReadOptions, problem: MakeProblem): ParsedFile {
  const notes: Note[] = [];
  const problems: Problem[] = [];
  const lines = text.split('\n');
  let cols: ResolvedColumns | undefined;
  for (let i = 0; i < lines.length; i++) {
    const row = i + 1;
    const line = lines[i].trim();
    if (line === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      problems.push(problem('error', `Line ${row} is not valid JSON; skipped, the other lines are indexed.`, row));
      continue;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      problems.push(problem('error', `Line ${row} is not a JSON object; skipped.`, row));
      continue;
    }
    const rec = obj as Record<string, unknown>;
    cols ??= resolveColumns(Object.keys(rec), opts.columns);
    if (!cols.text) return noTextColumn(Object.keys(rec), problem, true);
    const note = jsonRecordNote(relPath, row, rec, cols);
    if (note.text.trim() === '') problems.push(problem('warning', `Line ${row} has no note text; skipped.`, row));
    else notes.push(note);
  }
  return { notes, problems };
}
