/**
 * The label log's lines and what they add up to, pure: parsing (header, decisions, broken lines reported by
 * number), the current label of each pair (its last line; `unlabel` = unlabelled) and each reviewer's own
 * current labels (for kappa). The file side (append, fsync, other windows) is labelLog.ts.
 */
import { DECISIONS, LABELS_FORMAT, LABELS_VERSION, type Decision, type Label, type LabelLine } from '../shared/pairs';
import type { LineProblem } from './pairsFile';

export class LabelLogTooNewError extends Error {
  constructor(
    readonly file: string,
    readonly version: unknown,
  ) {
    super(
      `${file} was written by a newer version of DR.EHR (label log format version ${String(version)}; this one reads up to ${LABELS_VERSION}). ` +
        'Update the extension to review with it; the file was left as it is.',
    );
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function isLabelAction(x: unknown): x is Label {
  return x === 'unlabel' || (typeof x === 'string' && (DECISIONS as readonly string[]).includes(x));
}

type LabelSample = NonNullable<LabelLine['sample']>;

function isSample(x: unknown): x is LabelSample {
  return isObject(x) && Number.isInteger(x.seed) && Number.isInteger(x.rank);
}

export type ParsedLabelLine = { kind: 'header'; version: unknown } | { kind: 'label'; line: LabelLine } | { kind: 'bad'; message: string };

export function parseLabelLine(text: string): ParsedLabelLine {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return { kind: 'bad', message: 'malformed JSON (an interrupted write?); skipped' };
  }
  if (!isObject(o)) return { kind: 'bad', message: 'not a JSON object; skipped' };
  if (o.format === LABELS_FORMAT) return { kind: 'header', version: o.version };
  if (typeof o.pair_id !== 'string' || !isLabelAction(o.label)) return { kind: 'bad', message: 'not a label line ({"pair_id", "label"}); skipped' };
  const line: LabelLine = {
    pair_id: o.pair_id,
    label: o.label,
    reviewer: typeof o.reviewer === 'string' ? o.reviewer : '',
    time: typeof o.time === 'string' ? o.time : '',
  };
  if (isSample(o.sample)) line.sample = { seed: o.sample.seed, rank: o.sample.rank };
  if (typeof o.bulk === 'string') line.bulk = o.bulk;
  return { kind: 'label', line };
}

export interface CurrentLabel {
  label: Decision;
  reviewer: string;
  sample?: LabelSample;
}

/** Folds label lines, in file order, into each pair's current label and each reviewer's labels. */
export class LabelState {
  readonly current = new Map<string, CurrentLabel>();
  readonly byReviewer = new Map<string, Map<string, Decision>>();
  /** Broken lines (by line number) seen so far. */
  readonly problems: LineProblem[] = [];
  /** Decision lines applied so far (never decreases: a change counter). */
  lines = 0;

  apply(l: LabelLine): void {
    this.lines++;
    let mine = this.byReviewer.get(l.reviewer);
    if (l.label === 'unlabel') {
      this.current.delete(l.pair_id);
      mine?.delete(l.pair_id);
      return;
    }
    this.current.set(l.pair_id, { label: l.label, reviewer: l.reviewer, ...(l.sample ? { sample: l.sample } : {}) });
    if (!mine) this.byReviewer.set(l.reviewer, (mine = new Map()));
    mine.set(l.pair_id, l.label);
  }

  labelOf(id: string): Decision | undefined {
    return this.current.get(id)?.label;
  }

  /** A reviewer's own current label of a pair. */
  reviewerLabel(reviewer: string, id: string): Decision | undefined {
    return this.byReviewer.get(reviewer)?.get(id);
  }
}
