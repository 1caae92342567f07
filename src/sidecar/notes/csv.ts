/**
 * RFC 4180 CSV records (csv-parse, strict quoting) with line-precise recovery. Row 1 is the first record after
 * the header; blank lines are not records. python/drehr_train/notes.py applies the same rules:
 *
 * - A record whose field count differs from the header's is reported by its row and skipped.
 * - A record with a quote that is never closed, text after a closing quote, or a quote inside an unquoted field
 *   is "broken": it is reported with its row and the lines it spans, and reading resumes at the next line that
 *   on its own parses as a well-formed row (as many fields as the header). The broken record takes one row
 *   number, so later rows keep their numbers.
 *
 * Errors name rows, lines and counts only, never a cell value (csv-parse's own messages quote values, so they
 * are never passed on).
 */
import { parse, CsvError, type Options } from 'csv-parse/sync';

export interface CsvBroken {
  row: number;
  error: string;
  /** 1-based file lines (the header is line 1) of the skipped span. */
  firstLine: number;
  lastLine: number;
  /** The line reading resumed at, or undefined when no later line reads as a row (the rest was skipped). */
  resumedAt?: number;
  /** Set for a well-formed record with the wrong number of fields (nothing else was skipped). */
  fieldCount?: number;
  /** Set for a record over the streaming reader's size limit (csvStream.ts; skipped whole, nothing else). */
  tooLarge?: boolean;
}

export type CsvRecord = { row: number; line: number; fields: string[] } | CsvBroken;

export interface CsvTable {
  header: string[];
  records: CsvRecord[];
}

export const CSV_OPTIONS: Options = {
  bom: true,
  skip_empty_lines: true,
  relax_column_count: true,
  record_delimiter: ['\r\n', '\n', '\r'],
};

export const CSV_WHY: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'has a quote that is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'has text after a closing quote',
  INVALID_OPENING_QUOTE: 'has a quote inside an unquoted field',
};

/** Byte offsets where each line starts (line n starts at starts[n - 1]). */
function lineStarts(buf: Buffer): number[] {
  const starts = [0];
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) starts.push(i + 1);
  return starts;
}

/** The 1-based line holding byte `offset`. */
function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Whether one line, alone, is a complete well-formed record of `width` fields. */
export function isCsvRow(line: Buffer, width: number): boolean {
  try {
    const recs = parse(line, CSV_OPTIONS) as string[][];
    return recs.length === 1 && recs[0].length === width;
  } catch {
    return false;
  }
}

/** Parses the whole text. Throws when the header line itself is malformed. */
export function parseCsv(text: string): CsvTable {
  const buf = Buffer.from(text, 'utf8');
  const starts = lineStarts(buf);
  let header: string[] | undefined;
  const records: CsvRecord[] = [];
  let row = 0;
  let pos = 0; // byte offset where the next record may start (after the last good record's terminator)
  while (pos < buf.length) {
    let last = pos;
    const from = pos;
    try {
      parse(buf.subarray(from), {
        ...CSV_OPTIONS,
        on_record: (fields: string[], ctx) => {
          const end = from + ctx.bytes;
          const line = lineOf(starts, firstByte(buf, last));
          last = end;
          if (header === undefined) {
            header = fields.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
            return null;
          }
          row += 1;
          if (fields.length !== header.length) records.push({ row, error: `has ${fields.length} fields, the header has ${header.length}`, fieldCount: fields.length, firstLine: line, lastLine: lineOf(starts, Math.max(last - 1, 0)) });
          else records.push({ row, line, fields });
          return null;
        },
      });
      break;
    } catch (e) {
      if (!(e instanceof CsvError)) throw e;
      const why = CSV_WHY[e.code] ?? 'cannot be read as CSV';
      const first = lineOf(starts, firstByte(buf, last));
      if (header === undefined) throw new Error(`the header line ${why}`);
      const width = header.length;
      let resume: number | undefined;
      for (let n = first + 1; n <= starts.length; n++) {
        const a = starts[n - 1];
        const b = n < starts.length ? starts[n] : buf.length;
        if (a < b && isCsvRow(buf.subarray(a, b), width)) {
          resume = n;
          break;
        }
      }
      row += 1;
      const lastLine = resume !== undefined ? resume - 1 : lineOf(starts, Math.max(buf.length - 1, 0));
      records.push({ row, error: why, firstLine: first, lastLine, resumedAt: resume });
      pos = resume !== undefined ? starts[resume - 1] : buf.length;
    }
  }
  return { header: header ?? [], records };
}

/** The first byte at or after `pos` that is not a line terminator (where the next record really starts). */
function firstByte(buf: Buffer, pos: number): number {
  while (pos < buf.length && (buf[pos] === 10 || buf[pos] === 13)) pos++;
  return Math.min(pos, Math.max(buf.length - 1, 0));
}
