/**
 * Reading a pairs JSONL (and the suspicion scores beside it), pure: one JSON.parse per line, every broken or
 * incomplete line reported by number (never by content), the rest loaded. 100k pairs parse in well under a
 * second (bench/pairsReviewBench.ts).
 */
import { pairFromObject, type Pair, type Suspicion, type SuspicionLine } from '../shared/pairs';

export interface LineProblem {
  /** 1-based line number. */
  line: number;
  message: string;
}

export interface ParsedPairs {
  pairs: Pair[];
  problems: LineProblem[];
  /** The file did not end with a newline and its last line was not valid JSON (a writer was interrupted). */
  truncatedLast: boolean;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Calls fn(line, lineNumber, end) for each non-blank line (end: the offset just past the line); says whether the
 * text ended without a newline.
 */
export function forEachLine(text: string, fn: (line: string, no: number, end: number) => void): boolean {
  let at = 0;
  let no = 0;
  while (at < text.length) {
    let nl = text.indexOf('\n', at);
    const last = nl < 0;
    if (last) nl = text.length;
    no++;
    const end = nl > at && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    if (end > at) {
      const line = text.slice(at, end);
      if (line.trim() !== '') fn(line, no, nl);
    }
    at = nl + 1;
    if (last) return true;
  }
  return false;
}

function isSuspicion(x: unknown): x is Suspicion {
  return isObject(x) && typeof x.score === 'number' && Number.isFinite(x.score) && Array.isArray(x.reasons);
}

/** One line → a pair (src/shared/pairs.ts pairFromObject, the one reader of the format) or what is wrong with it. */
export function toPair(line: string): Pair | string {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return 'not valid JSON (a truncated or broken line)';
  }
  const p = pairFromObject(o);
  if ('error' in p) return p.error;
  if (p.suspicion !== undefined && !isSuspicion(p.suspicion)) delete p.suspicion;
  return p;
}

/** Progress while parsing a large file: called after the first `first` pairs, then every `every` pairs. */
export interface ParseProgress {
  first: number;
  every: number;
  /** `pairs` so far (the array being filled: copy what must outlive the call), `at` characters of `text` read. */
  fn(pairs: readonly Pair[], at: number): void;
}

export function parsePairs(text: string, progress?: ParseProgress): ParsedPairs {
  const pairs: Pair[] = [];
  let nextProgress = progress ? Math.max(1, progress.first) : Infinity;
  const problems: LineProblem[] = [];
  let lastBroken = 0;
  let lastLine = 0;
  const seen = new Set<string>();
  const noNewline = forEachLine(text, (line, no, at) => {
    lastLine = no;
    const p = toPair(line);
    if (typeof p === 'string') {
      problems.push({ line: no, message: `${p}; skipped` });
      if (p.startsWith('not valid JSON')) lastBroken = no;
      return;
    }
    if (seen.has(p.id)) {
      problems.push({ line: no, message: `duplicate pair id ${p.id}; the first one is kept` });
      return;
    }
    seen.add(p.id);
    pairs.push(p);
    if (pairs.length >= nextProgress) {
      nextProgress += Math.max(1, progress!.every);
      progress!.fn(pairs, at);
    }
  });
  const truncatedLast = noNewline && lastBroken === lastLine && lastLine > 0;
  if (truncatedLast) {
    const last = problems[problems.length - 1];
    last.message = 'the last line is incomplete (the writer was interrupted); skipped';
  }
  return { pairs, problems, truncatedLast };
}

/** `<pairs>.suspicion.jsonl`: pair id → suspicion (the last line of a pair wins). */
export function parseSuspicion(text: string): { scores: Map<string, Suspicion>; problems: LineProblem[] } {
  const scores = new Map<string, Suspicion>();
  const problems: LineProblem[] = [];
  forEachLine(text, (line, no) => {
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      problems.push({ line: no, message: 'malformed JSON; skipped' });
      return;
    }
    if (!isObject(o) || typeof o.pair_id !== 'string' || typeof o.score !== 'number' || !Array.isArray(o.reasons)) {
      problems.push({ line: no, message: 'not a suspicion line ({"pair_id", "score", "reasons"}); skipped' });
      return;
    }
    const s = o as unknown as SuspicionLine;
    scores.set(s.pair_id, { score: s.score, reasons: s.reasons, version: 1 });
  });
  return { scores, problems };
}
