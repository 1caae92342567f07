/**
 * Index progress on stderr. On a terminal: one bar per phase (files, embed, write, index), redrawn in place as a
 * block, so batches that alternate between phases do not print line after line. Otherwise (a pipe, a log file):
 * plain lines, a few per run: each phase at each quarter of its count, except the per-batch phases of an index
 * run (embed, write: their counts restart with every batch, and the files line already says how far it is),
 * which get one line when they start.
 */
import type { IndexResult } from '../shared/protocol';
import type { ProgressUpdate } from '../sidecar/engine';

export function progressBarText(p: ProgressUpdate, width = 30): string {
  const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  const count = p.total <= 0 ? '' : p.unit === 'bytes' ? ` ${mb(p.done)}/${mb(p.total)} MB` : ` ${p.done}/${p.total}`;
  return `${p.phase.padEnd(5)} [${bar}]${count}`;
}

/** Bytes as MB with one decimal (the read phase of a big CSV/JSONL export). */
function mb(n: number): string {
  return (n / 1048576).toFixed(1);
}

export interface ProgressReporter {
  update: (p: ProgressUpdate) => void;
  end: () => void;
}

/** What the reporter needs of a stream (process.stderr; the tests pass a fake). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

/** "Looking for notes" before the scan knows how many files there are: nothing to draw yet. */
function countsNothing(p: ProgressUpdate): boolean {
  return p.total === 0 && p.done === 0;
}

export type ProgressStyle = 'auto' | 'json';
export const PROGRESS_STYLES: readonly ProgressStyle[] = ['auto', 'json'];

/**
 * `auto`: bars on a terminal, a few plain lines otherwise. `json` (`--progress json`, for scripts and tests): every
 * update as one JSON object a line, `{"phase","done","total"}` (the message, a file name, is left out), with
 * `"unit":"bytes"` when the counts are bytes (phase `read`: a big CSV/JSONL export read so far).
 */
export function makeProgressReporter(stream: ProgressStream = process.stderr, now: () => number = Date.now, style: ProgressStyle = 'auto'): ProgressReporter {
  if (style === 'json') return jsonReporter(stream);
  return stream.isTTY ? terminalReporter(stream, now) : lineReporter(stream);
}

function jsonReporter(stream: ProgressStream): ProgressReporter {
  return {
    update: (p) => void stream.write(`${JSON.stringify({ phase: p.phase, done: p.done, total: p.total, ...(p.unit ? { unit: p.unit } : {}) })}\n`),
    end: () => undefined,
  };
}

function terminalReporter(stream: ProgressStream, now: () => number): ProgressReporter {
  const order: string[] = [];
  const latest = new Map<string, ProgressUpdate>();
  let drawn = 0;
  let last = 0;
  const draw = (): void => {
    const width = Math.max(20, (stream.columns ?? 100) - 1);
    const lines = order.map((ph) => {
      const p = latest.get(ph)!;
      return (progressBarText(p) + (p.message ? ` ${p.message}` : '')).slice(0, width);
    });
    // Back to the first line of the block, then each line cleared and rewritten.
    let out = drawn > 1 ? `\x1b[${drawn - 1}A\r` : '\r';
    out += lines.map((l) => `\x1b[K${l}`).join('\n');
    drawn = lines.length;
    stream.write(out);
  };
  return {
    update: (p) => {
      if (countsNothing(p)) return;
      const isNew = !latest.has(p.phase);
      if (isNew) order.push(p.phase);
      latest.set(p.phase, p);
      const t = now();
      if (!isNew && t - last < 80 && p.done !== p.total) return;
      last = t;
      draw();
    },
    end: () => {
      if (drawn === 0) return;
      draw();
      stream.write('\n');
    },
  };
}

const PER_BATCH = new Set(['embed', 'write']);

function lineReporter(stream: ProgressStream): ProgressReporter {
  const quarters = new Map<string, number>();
  return {
    update: (p) => {
      if (countsNothing(p)) return;
      const seen = quarters.get(p.phase);
      if (PER_BATCH.has(p.phase)) {
        if (seen === undefined) stream.write(`${p.phase}: started\n`);
        quarters.set(p.phase, 0);
        return;
      }
      // The index run's scan counts files through the whole run (each is embedded and written as it goes).
      const q = p.total > 0 ? Math.floor((4 * Math.min(p.done, p.total)) / p.total) : 0;
      if (seen !== undefined && q <= seen) return;
      quarters.set(p.phase, q);
      const name = p.phase === 'scan' ? 'files' : p.phase;
      const counts = p.unit === 'bytes' ? `${mb(p.done)}/${mb(p.total)} MB` : `${p.done}/${p.total}`;
      stream.write(`${name}: ${counts} (${Math.round((100 * Math.min(p.done, p.total)) / Math.max(1, p.total))}%)\n`);
    },
    end: () => undefined,
  };
}

/** Why there are more notes than files, when there are: each row of a CSV or JSONL export is a note. */
export function notesFromRows(r: Pick<IndexResult, 'filesScanned' | 'status'>): string {
  return r.status.notes > r.filesScanned ? ` (from ${r.filesScanned} files: each row of a CSV or JSONL file is a note)` : '';
}
