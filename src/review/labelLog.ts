/**
 * The label log on disk (`<pairs>.labels.jsonl`): append-only JSONL with a header line, opened with O_APPEND
 * and fsynced after every decision, so a crashed window or a killed process loses at most the write in flight.
 * Two windows on one file never clobber each other: each only appends, and each re-reads what others appended
 * (`refresh()`, driven by a file watcher or a size poll). Lines are applied in file order, one's own included,
 * so every window computes the same state from the same bytes.
 *
 * Node only (no vscode); the review editor and the tests use it.
 */
import * as fs from 'node:fs';
import { LABELS_FORMAT, LABELS_VERSION, type LabelLine } from '../shared/pairs';
import { LabelLogTooNewError, LabelState, parseLabelLine } from './labels';
import type { LineProblem } from './pairsFile';

const NL = 0x0a;

export class LabelLog {
  readonly state = new LabelState();
  private offset = 0;
  private pending: Buffer = Buffer.alloc(0);
  private lineNo = 0;
  private fd: number | undefined;
  private sawHeader = false;

  private constructor(readonly file: string) {}

  /**
   * Reads the log (a missing file is an empty log; it is created on the first decision). Throws
   * LabelLogTooNewError for a log of a newer format version, leaving the file untouched.
   */
  static open(file: string): LabelLog {
    const log = new LabelLog(file);
    log.refresh();
    return log;
  }

  /** Broken lines, and an incomplete last line (a writer killed mid-line, or one still writing). */
  get problems(): LineProblem[] {
    const out = [...this.state.problems];
    if (this.pending.length > 0) out.push({ line: this.lineNo + 1, message: 'the last line is incomplete (an interrupted write); it is ignored' });
    return out;
  }

  /** Reads what was appended since the last read (by this or another process). Returns the lines applied. */
  refresh(): number {
    let size: number;
    try {
      size = fs.statSync(this.file).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
    if (size < this.offset) {
      // The file was replaced or cut short by someone else: start over from its current contents.
      this.reset();
    }
    if (size === this.offset) return 0;
    const fd = fs.openSync(this.file, 'r');
    let chunk: Buffer;
    try {
      chunk = Buffer.alloc(size - this.offset);
      let got = 0;
      while (got < chunk.length) {
        const n = fs.readSync(fd, chunk, got, chunk.length - got, this.offset + got);
        if (n === 0) break;
        got += n;
      }
      chunk = chunk.subarray(0, got);
    } finally {
      fs.closeSync(fd);
    }
    this.offset += chunk.length;
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let start = 0;
    let applied = 0;
    for (let nl = data.indexOf(NL, start); nl >= 0; nl = data.indexOf(NL, start)) {
      const text = data.toString('utf8', start, nl).trim();
      start = nl + 1;
      this.lineNo++;
      if (text === '') continue;
      const parsed = parseLabelLine(text);
      if (parsed.kind === 'header') {
        if (!(typeof parsed.version === 'number' && Number.isInteger(parsed.version) && parsed.version <= LABELS_VERSION)) {
          throw new LabelLogTooNewError(this.file, parsed.version);
        }
        this.sawHeader = true;
      } else if (parsed.kind === 'label') {
        this.state.apply(parsed.line);
        applied++;
      } else {
        this.state.problems.push({ line: this.lineNo, message: parsed.message });
      }
    }
    this.pending = Buffer.from(data.subarray(start));
    return applied;
  }

  private reset(): void {
    // state.lines keeps counting: it is the change counter the numbers are cached by.
    this.state.current.clear();
    this.state.byReviewer.clear();
    this.state.problems.length = 0;
    this.offset = 0;
    this.pending = Buffer.alloc(0);
    this.lineNo = 0;
    this.sawHeader = false;
  }

  /** True once a header line was read (older logs may have none; they are read all the same). */
  get hasHeader(): boolean {
    return this.sawHeader;
  }

  /**
   * Appends decisions in one write (O_APPEND), fsyncs, then reads the file forward (so lines another window
   * appended meanwhile are applied in file order too). Creates the file with its header when it is missing.
   */
  append(lines: readonly LabelLine[]): void {
    if (lines.length === 0) return;
    // Refuse to append to a log this version cannot read (refresh throws for a newer header).
    this.refresh();
    if (this.fd === undefined) {
      try {
        const created = fs.openSync(this.file, 'wx');
        try {
          fs.writeSync(created, JSON.stringify({ format: LABELS_FORMAT, version: LABELS_VERSION }) + '\n');
          fs.fsyncSync(created);
        } finally {
          fs.closeSync(created);
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      this.fd = fs.openSync(this.file, 'a');
    }
    let text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    // A line cut short by a killed writer must not swallow ours: start on a fresh line.
    if (this.endsWithoutNewline()) text = '\n' + text;
    const buf = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < buf.length) written += fs.writeSync(this.fd, buf, written, buf.length - written);
    fs.fsyncSync(this.fd);
    this.refresh();
  }

  private endsWithoutNewline(): boolean {
    const size = fs.fstatSync(this.fd!).size;
    if (size === 0) return false;
    const b = Buffer.alloc(1);
    const fd = fs.openSync(this.file, 'r');
    try {
      fs.readSync(fd, b, 0, 1, size - 1);
    } finally {
      fs.closeSync(fd);
    }
    return b[0] !== NL;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
