/**
 * CSV records streamed from a file (csv-parse's stream API), with the same records, row numbers, lines and
 * recovery as `parseCsv` (csv.ts; the unit tests compare the two on every fixture, read a few bytes at a time),
 * and memory bounded whatever the file size: the parser's buffers, the bytes since the last record, and one record
 * of at most `maxRecordBytes` (a longer record is skipped and reported, not buffered).
 *
 * Each record carries its byte span, so a reader can stop after any record and start again at `end` with the
 * header, row and line it had there (`CsvStart`): that is how an index run resumes inside an export.
 *
 * Reads only the file's bytes; never reports a cell value (csv-parse's own messages quote values, so they are never
 * passed on).
 */
import * as fs from 'node:fs';
import { parse, CsvError } from 'csv-parse';
import { CSV_OPTIONS, CSV_WHY, isCsvRow, type CsvRecord } from './csv';

/** Where a read starts: a byte offset at a record boundary, the rows before it and the line it is on. */
export interface StreamPos {
  offset: number;
  /** Data rows (records after the header, broken ones included) before `offset`. */
  row: number;
  /** 1-based line of `offset`. */
  line: number;
}

export const FILE_START: StreamPos = { offset: 0, row: 0, line: 1 };

/** Bytes per read: 1 MB (64 KB reads cost measurably more CPU per byte in bench:stream's reader). */
export const READ_CHUNK = 1 << 20;

export type StreamedCsv =
  | { kind: 'header'; header: string[]; end: StreamPos }
  | { kind: 'record'; rec: CsvRecord; start: StreamPos; end: StreamPos };

export interface CsvStreamOptions {
  start?: StreamPos;
  /** The header read earlier (required when `start` is past the header). */
  header?: string[];
  /** Longest record kept (characters of its fields and line buffer); a longer one is skipped with an error. */
  maxRecordBytes: number;
  /** Bytes per read (tests use a few to cut quoted fields across reads). */
  readChunk?: number;
}

/** The bytes between the last record and what the parser has consumed, with the line number at their start. */
class ByteWindow {
  private bufs: Buffer[] = [];
  constructor(
    private base: number,
    public line: number,
  ) {}

  push(b: Buffer): void {
    this.bufs.push(b);
  }

  byteAt(abs: number): number | undefined {
    let off = abs - this.base;
    for (const b of this.bufs) {
      if (off < b.length) return off >= 0 ? b[off] : undefined;
      off -= b.length;
    }
    return undefined;
  }

  /** Drops the bytes before `abs`, counting their line feeds. */
  advance(abs: number): void {
    while (this.base < abs && this.bufs.length > 0) {
      const b = this.bufs[0];
      const take = Math.min(b.length, abs - this.base);
      for (let i = b.indexOf(10); i >= 0 && i < take; i = b.indexOf(10, i + 1)) this.line++;
      this.base += take;
      if (take === b.length) this.bufs.shift();
      else this.bufs[0] = b.subarray(take);
    }
  }

  /** The first byte at or after `pos` that is not a line terminator. */
  firstByte(pos: number): number {
    for (let c = this.byteAt(pos); c === 10 || c === 13; c = this.byteAt(pos)) pos++;
    return pos;
  }
}

export async function* streamCsv(file: string, opts: CsvStreamOptions): AsyncGenerator<StreamedCsv> {
  let pos = opts.start ?? FILE_START;
  let header = opts.header;
  if (pos.offset > 0 && header === undefined) throw new Error('streamCsv: a start past the header needs the header');
  const readChunk = opts.readChunk ?? READ_CHUNK;
  for (;;) {
    const win = new ByteWindow(pos.offset, pos.line);
    // Records are taken as the parser finds them (on_record), a read at a time: an error then leaves every record
    // before it in hand (a stream that errs drops what it buffered).
    const found: Array<{ fields: string[]; bytes: number }> = [];
    const parser = parse({
      ...CSV_OPTIONS,
      max_record_size: opts.maxRecordBytes,
      on_record: (fields: string[], ctx: { bytes: number }) => {
        found.push({ fields, bytes: ctx.bytes });
        return null;
      },
    });
    parser.on('error', () => undefined); // read from parser.errored
    parser.resume();
    const rs = fs.createReadStream(file, { start: pos.offset, highWaterMark: readChunk });
    let last = pos.offset; // end of the last good record
    let row = pos.row;
    let failure: unknown;
    const take = function* (): Generator<StreamedCsv> {
      for (const item of found.splice(0)) {
        const end = pos.offset + item.bytes;
        const s = win.firstByte(last);
        win.advance(s);
        const line = win.line;
        win.advance(Math.max(end - 1, s));
        const lastLine = win.line;
        win.advance(end);
        last = end;
        const here: StreamPos = { offset: end, row, line: win.line };
        if (header === undefined) {
          header = item.fields.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
          yield { kind: 'header', header, end: here };
          continue;
        }
        const start: StreamPos = { offset: s, row, line };
        row += 1;
        here.row = row;
        const fields = item.fields;
        const rec: CsvRecord =
          fields.length !== header.length
            ? { row, error: `has ${fields.length} fields, the header has ${header.length}`, fieldCount: fields.length, firstLine: line, lastLine }
            : { row, line, fields };
        yield { kind: 'record', rec, start, end: here };
      }
    };
    try {
      for await (const chunk of rs as AsyncIterable<Buffer>) {
        win.push(chunk);
        parser.write(chunk);
        yield* take();
        if (parser.errored) break;
      }
      if (!parser.errored) {
        const done = new Promise<void>((resolve) => {
          parser.once('end', resolve);
          parser.once('close', resolve);
        });
        parser.end();
        await done;
        yield* take();
      }
      failure = parser.errored;
    } finally {
      rs.destroy();
      parser.destroy();
    }
    if (!failure) return;
    const e = failure;
    if (!(e instanceof CsvError)) throw e;
    const s = win.firstByte(last);
    win.advance(s);
    const first = win.line;
    const start: StreamPos = { offset: s, row, line: first };
    if (header === undefined) throw new Error(`the header line ${e.code === 'CSV_MAX_RECORD_SIZE' ? 'is too long' : (CSV_WHY[e.code] ?? 'cannot be read as CSV')}`);
    let why = CSV_WHY[e.code] ?? 'cannot be read as CSV';
    if (e.code === 'CSV_MAX_RECORD_SIZE') {
      const r = await recordEnd(file, s, first, readChunk);
      if (r) {
        row += 1;
        const mb = (opts.maxRecordBytes / 1048576).toFixed(1);
        const rec: CsvRecord = { row, error: `is over the ${mb} MB limit for one note`, firstLine: first, lastLine: r.lastLine, tooLarge: true };
        pos = { offset: r.end, row, line: r.nextLine };
        yield { kind: 'record', rec, start, end: pos };
        continue;
      }
      why = CSV_WHY.CSV_QUOTE_NOT_CLOSED;
    }
    const next = await nextRowLine(file, s, first, header.length, opts.maxRecordBytes, readChunk);
    row += 1;
    const rec: CsvRecord = { row, error: why, firstLine: first, lastLine: next.lastLine, resumedAt: next.resumeAt?.line };
    if (!next.resumeAt) {
      yield { kind: 'record', rec, start, end: { offset: next.size, row, line: next.lastLine } };
      return;
    }
    pos = { offset: next.resumeAt.offset, row, line: next.resumeAt.line };
    yield { kind: 'record', rec, start, end: pos };
  }
}

/** Lines of a file from byte `from` (a line start, 1-based `line`): start offset, bytes (undefined past `cap`), line. */
export async function* fileLines(file: string, from: number, line: number, cap: number, readChunk: number): AsyncGenerator<{ offset: number; line: number; bytes?: Buffer; size: number }> {
  let parts: Buffer[] = [];
  let held = 0;
  let over = false;
  let lineStart = from;
  let offset = from;
  for await (const chunk of fs.createReadStream(file, { start: from, highWaterMark: readChunk }) as AsyncIterable<Buffer>) {
    let i = 0;
    while (i < chunk.length) {
      const nl = chunk.indexOf(10, i);
      const stop = nl < 0 ? chunk.length : nl + 1;
      if (!over) {
        if (held + stop - i > cap) {
          over = true;
          parts = [];
        } else {
          parts.push(chunk.subarray(i, stop));
          held += stop - i;
        }
      }
      offset += stop - i;
      i = stop;
      if (nl >= 0) {
        yield { offset: lineStart, line, bytes: over ? undefined : Buffer.concat(parts), size: offset - lineStart };
        parts = [];
        held = 0;
        over = false;
        lineStart = offset;
        line++;
      }
    }
  }
  if (offset > lineStart) yield { offset: lineStart, line, bytes: over ? undefined : Buffer.concat(parts), size: offset - lineStart };
}

/**
 * After a broken record on `first` (starting at byte `s`): the next line that on its own reads as a row of `width`
 * fields (parseCsv's rule), or, when none does, the last line of the file.
 */
async function nextRowLine(file: string, s: number, first: number, width: number, cap: number, readChunk: number): Promise<{ resumeAt?: { offset: number; line: number }; lastLine: number; size: number }> {
  let lastLine = first;
  let size = s;
  for await (const l of fileLines(file, s, first, cap, readChunk)) {
    size = l.offset + l.size;
    lastLine = l.line;
    if (l.line > first && l.bytes && l.bytes.length > 0 && isCsvRow(l.bytes, width)) return { resumeAt: { offset: l.offset, line: l.line }, lastLine: l.line - 1, size };
  }
  // parseCsv's last line: the line of the file's last byte (a final line feed belongs to the line it ends).
  return { lastLine, size };
}

/**
 * The end of a record too long to buffer, found by RFC 4180 quote parity (a line feed or carriage return outside
 * quotes ends it); undefined when a quote is still open at the end of the file.
 */
async function recordEnd(file: string, s: number, first: number, readChunk: number): Promise<{ end: number; lastLine: number; nextLine: number } | undefined> {
  let quoted = false;
  let line = first;
  let offset = s;
  let pendingCr = false;
  for await (const chunk of fs.createReadStream(file, { start: s, highWaterMark: readChunk }) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (pendingCr) {
        // A record ended at a carriage return: a line feed right after it belongs to the terminator.
        return { end: offset + i + (c === 10 ? 1 : 0), lastLine: line, nextLine: line + (c === 10 ? 1 : 0) };
      }
      if (c === 34) quoted = !quoted;
      else if (!quoted && c === 10) return { end: offset + i + 1, lastLine: line, nextLine: line + 1 };
      else if (!quoted && c === 13) pendingCr = true;
      else if (c === 10) line++;
    }
    offset += chunk.length;
  }
  if (pendingCr) return { end: offset, lastLine: line, nextLine: line };
  return quoted ? undefined : { end: offset, lastLine: line, nextLine: line };
}
