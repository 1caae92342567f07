/**
 * Opening a review from disk, node only (no vscode): the pairs file, the suspicion scores beside it and the
 * label log, with every problem turned into a one-line notice (file, line number, count; never content).
 * Used by the review editor and by bench/pairsReviewBench.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { labelsPathFor, suspicionPathFor, type Pair, type Suspicion } from '../shared/pairs';
import { LabelLog } from './labelLog';
import { LabelLogTooNewError, LabelState } from './labels';
import { parsePairs, parseSuspicion, type LineProblem } from './pairsFile';
import { ReviewSession, type LabelSink } from './session';

export interface LoadedReview {
  session: ReviewSession;
  /** Undefined when the label log cannot be written by this version (readOnly says why). */
  log: LabelLog | undefined;
  notices: string[];
  readOnly?: string;
  /** The order and filter a webview remembered were applied once (the host's session wins afterwards). */
  restored?: boolean;
}

export function describeProblems(file: string, problems: readonly LineProblem[], max = 5): string[] {
  if (problems.length === 0) return [];
  const shown = problems.slice(0, max).map((p) => `${path.basename(file)} line ${p.line}: ${p.message}`);
  if (problems.length > max) shown.push(`${path.basename(file)}: ${problems.length - max} more problem lines`);
  return shown;
}

export function readScores(pairsPath: string): { scores: Map<string, Suspicion>; notices: string[] } {
  const file = suspicionPathFor(pairsPath);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { scores: new Map(), notices: [] };
    return { scores: new Map(), notices: [`${path.basename(file)} cannot be read (${(e as Error).message}); scores from the pairs file only.`] };
  }
  const r = parseSuspicion(text);
  return { scores: r.scores, notices: describeProblems(file, r.problems) };
}

/** A read-only label sink for a log this version must not write. */
class ReadOnlyLabels {
  constructor(readonly state: LabelState, private readonly why: string) {}
  append(): void {
    throw new Error(this.why);
  }
}

export interface LoadOptions {
  seed?: number;
  /**
   * Called while the pairs are parsed (after the first `first` pairs, then every `every`): the pairs so far, the
   * characters read of `total`, and the labels (the label log is read before the pairs), so a first page can be
   * drawn before a large file is read to its end.
   */
  progress?: { first: number; every: number; fn(pairs: readonly Pair[], at: number, total: number, labels: LabelSink): void };
}

/** The first pairs from the head of the file (its first MiB), before the whole of a large file is read. */
const HEAD_BYTES = 1 << 20;
function firstPage(pairsPath: string, pr: NonNullable<LoadOptions['progress']>, sink: LabelSink): void {
  const fd = fs.openSync(pairsPath, 'r');
  let head: Buffer;
  let total: number;
  try {
    total = fs.fstatSync(fd).size;
    head = Buffer.alloc(Math.min(total, HEAD_BYTES));
    head = head.subarray(0, fs.readSync(fd, head, 0, head.length, 0));
  } finally {
    fs.closeSync(fd);
  }
  // a file that fits in the head is read whole at once anyway (the parse's own progress sends its first page)
  if (head.length >= total) return;
  const end = head.lastIndexOf(0x0a) + 1;
  if (end <= 0) return;
  const pairs = parsePairs(head.toString('utf8', 0, end)).pairs;
  if (pairs.length) pr.fn(pairs.slice(0, Math.max(1, pr.first)), end, total, sink);
}

export function loadReview(pairsPath: string, reviewer: string, options: LoadOptions = {}): LoadedReview {
  const notices: string[] = [];
  // The label log first (small), so a preview of the first pairs already shows their labels.
  const labelsPath = labelsPathFor(pairsPath);
  let log: LabelLog | undefined;
  let readOnly: string | undefined;
  let sink: LabelSink;
  try {
    log = LabelLog.open(labelsPath);
    sink = log;
  } catch (e) {
    if (!(e instanceof LabelLogTooNewError)) throw e;
    readOnly = e.message;
    // The refused log is not read at all: the pairs can be browsed, not labelled.
    sink = new ReadOnlyLabels(new LabelState(), e.message);
  }
  const pr = options.progress;
  if (pr) firstPage(pairsPath, pr, sink);
  const text = fs.readFileSync(pairsPath, 'utf8');
  const parsed = parsePairs(text, pr ? { first: pr.first, every: pr.every, fn: (pairs, at) => pr.fn(pairs, at, text.length, sink) } : undefined);
  notices.push(...describeProblems(pairsPath, parsed.problems));
  if (parsed.pairs.length === 0) notices.unshift(`${path.basename(pairsPath)} holds no pairs${parsed.problems.length ? ' that could be read' : ''}.`);
  if (readOnly) notices.unshift(readOnly);
  if (log) notices.push(...describeProblems(labelsPath, log.problems));
  const session = new ReviewSession(parsed.pairs, sink, reviewer, options.seed !== undefined ? { seed: options.seed } : {});
  const scores = readScores(pairsPath);
  notices.push(...scores.notices);
  if (scores.scores.size) session.setScores(scores.scores);
  return { session, log, notices, ...(readOnly ? { readOnly } : {}) };
}
