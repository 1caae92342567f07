/**
 * One review of one pairs file, pure (no vscode, no files): the pairs, their scores, the label state, the
 * order and filter that make the list being walked, the cursor, and undo. Decisions become label lines handed
 * to a sink (the LabelLog on disk; an array in tests), and the state is read back from the sink, so what the
 * view shows is always what the file says.
 */
import { ENTITY_TYPES, type Decision, type LabelLine, type Pair, type Suspicion } from '../shared/pairs';
import type { LabelState } from './labels';
import { filterPredicate, isEmptyFilter, seededPermutation, suspiciousOrder, type ReviewFilter, type ReviewOrder } from './order';
import { noiseEstimate, reviewerKappa, scoreQuality, type Kappa, type NoiseEstimate, type ReviewedPair } from './stats';

export interface LabelSink {
  readonly state: LabelState;
  append(lines: readonly LabelLine[]): void;
}

interface UndoEntry {
  /** Position of the (first) pair when the decision was made, to go back to. */
  pairIndex: number;
  items: { id: string; prev: Decision | undefined; prevSample?: LabelLine['sample'] }[];
}

export interface ReviewNumbers {
  pairs: number;
  reviewed: number;
  byLabel: Record<Decision, number>;
  /** Decisions made in the random-sample order (the basis of the estimate). */
  sampled: number;
  noise: NoiseEstimate;
  score: ReturnType<typeof scoreQuality>;
  kappa: Kappa | undefined;
  reviewers: string[];
}

export const DEFAULT_SEED = 20260;

export class ReviewSession {
  readonly indexById = new Map<string, number>();
  private scores = new Map<string, Suspicion>();
  private orderKind: ReviewOrder = 'file';
  private filterValue: ReviewFilter = {};
  private seedValue: number;
  private perm: Uint32Array | undefined;
  private rankOf: Uint32Array | undefined;
  private view: Uint32Array;
  private pos = 0;
  private readonly undoStack: UndoEntry[] = [];
  private bulkCount = 0;

  constructor(
    readonly pairs: readonly Pair[],
    private readonly sink: LabelSink,
    public reviewer: string,
    options: { seed?: number; now?: () => string } = {},
  ) {
    pairs.forEach((p, i) => this.indexById.set(p.id, i));
    this.seedValue = options.seed ?? DEFAULT_SEED;
    this.now = options.now ?? (() => new Date().toISOString());
    this.view = this.build();
  }

  private readonly now: () => string;

  get order(): ReviewOrder {
    return this.orderKind;
  }
  get filter(): ReviewFilter {
    return { ...this.filterValue };
  }
  get seed(): number {
    return this.seedValue;
  }
  /** Position of the cursor in the filtered list. */
  get position(): number {
    return this.pos;
  }
  /** Pairs in the filtered list. */
  get size(): number {
    return this.view.length;
  }
  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }
  get labels(): LabelState {
    return this.sink.state;
  }

  /** Index (into pairs) of the pair under the cursor. */
  get currentIndex(): number | undefined {
    return this.view.length ? this.view[this.pos] : undefined;
  }
  get current(): Pair | undefined {
    const i = this.currentIndex;
    return i === undefined ? undefined : this.pairs[i];
  }

  suspicionOf(p: Pair): Suspicion | undefined {
    return this.scores.get(p.id) ?? p.suspicion;
  }

  /** Scores from `<pairs>.suspicion.jsonl` (they win over a `suspicion` key in the pairs file). */
  setScores(scores: Map<string, Suspicion>): void {
    this.scores = scores;
    this.scoresVersion++;
    if (this.orderKind === 'suspicious') this.setOrder('suspicious');
  }

  get hasScores(): boolean {
    return this.scores.size > 0 || this.pairs.some((p) => p.suspicion !== undefined);
  }

  setOrder(order: ReviewOrder, seed?: number): void {
    if (seed !== undefined && Number.isInteger(seed) && seed !== this.seedValue) {
      this.seedValue = seed >>> 0;
      this.perm = undefined;
      this.rankOf = undefined;
    }
    this.orderKind = order;
    // A new order starts at its beginning.
    this.view = this.build();
    this.pos = 0;
  }

  setFilter(filter: ReviewFilter): void {
    this.filterValue = { ...filter };
    this.rebuild();
  }

  /** The list again (after a filter, order or score change), keeping the current pair when it is still in. */
  rebuild(): void {
    const keep = this.currentIndex;
    this.view = this.build();
    const at = keep === undefined ? -1 : this.view.indexOf(keep);
    this.pos = at >= 0 ? at : 0;
  }

  private permutation(): Uint32Array {
    if (!this.perm) {
      this.perm = seededPermutation(this.pairs.length, this.seedValue);
      this.rankOf = new Uint32Array(this.pairs.length);
      this.perm.forEach((pairIndex, rank) => (this.rankOf![pairIndex] = rank));
    }
    return this.perm;
  }

  private build(): Uint32Array {
    const n = this.pairs.length;
    let base: Uint32Array;
    if (this.orderKind === 'sample') base = this.permutation();
    else if (this.orderKind === 'suspicious') base = suspiciousOrder(this.pairs.map((p) => this.suspicionOf(p)?.score));
    else base = Uint32Array.from({ length: n }, (_, i) => i);
    if (isEmptyFilter(this.filterValue)) return base;
    const keep = filterPredicate(this.filterValue, (id) => this.sink.state.labelOf(id));
    const out = new Uint32Array(n);
    let m = 0;
    for (const i of base) if (keep(this.pairs[i])) out[m++] = i;
    return out.slice(0, m);
  }

  /** Pair indices from the cursor on (the cursor's first), for prefetching their chunks. */
  upcoming(n: number): number[] {
    return Array.from(this.view.subarray(this.pos, this.pos + n));
  }

  /** Moves the cursor to a pair when it is in the filtered list; returns whether it is. */
  gotoPair(id: string): boolean {
    const i = this.indexById.get(id);
    const at = i === undefined ? -1 : this.view.indexOf(i);
    if (at >= 0) this.pos = at;
    return at >= 0;
  }

  move(delta: number): void {
    this.goto(this.pos + delta);
  }

  goto(position: number): void {
    if (this.view.length === 0) return;
    this.pos = Math.max(0, Math.min(this.view.length - 1, Math.trunc(position)));
  }

  /**
   * Whether decisions now count for the noise estimate: the random-sample order over the whole file (a filter
   * other than "unlabelled" would make the sample a sample of the filtered set only).
   */
  get sampling(): boolean {
    const f = this.filterValue;
    return this.orderKind === 'sample' && isEmptyFilter({ ...f, label: f.label === 'unlabelled' ? 'any' : f.label });
  }

  private line(pairIndex: number, label: LabelLine['label'], extra: Partial<LabelLine> = {}): LabelLine {
    const out: LabelLine = { pair_id: this.pairs[pairIndex].id, label, reviewer: this.reviewer, time: this.now() };
    if (this.sampling && label !== 'unlabel') {
      this.permutation();
      out.sample = { seed: this.seedValue, rank: this.rankOf![pairIndex] };
    }
    return { ...out, ...extra };
  }

  private undoItem(pairIndex: number): UndoEntry['items'][number] {
    const id = this.pairs[pairIndex].id;
    const cur = this.sink.state.current.get(id);
    const prev = this.sink.state.reviewerLabel(this.reviewer, id);
    return { id, prev, ...(prev && cur?.reviewer === this.reviewer && cur.sample ? { prevSample: cur.sample } : {}) };
  }

  /** Labels the pair under the cursor and moves to the next one. */
  decide(label: Decision): LabelLine | undefined {
    const i = this.currentIndex;
    if (i === undefined) return undefined;
    const item = this.undoItem(i);
    const line = this.line(i, label);
    this.sink.append([line]);
    this.undoStack.push({ pairIndex: i, items: [item] });
    this.move(1);
    return line;
  }

  /** Labels every pair of the filtered list with one bulk id. Returns how many lines were written. */
  bulk(label: Decision): number {
    if (this.view.length === 0) return 0;
    const id = `${Date.now().toString(36)}-${(this.bulkCount++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const items: UndoEntry['items'] = [];
    const lines: LabelLine[] = [];
    for (const i of this.view) {
      items.push(this.undoItem(i));
      // A bulk decision is not a random-sample review, whatever the order.
      const l = this.line(i, label, { bulk: id });
      delete l.sample;
      lines.push(l);
    }
    this.sink.append(lines);
    this.undoStack.push({ pairIndex: this.view[this.pos], items });
    return lines.length;
  }

  /** Undoes the last decision (single or bulk) of this session; returns the pairs it touched. */
  undo(): number {
    const e = this.undoStack.pop();
    if (!e) return 0;
    const lines = e.items.map((it) => {
      const l: LabelLine = { pair_id: it.id, label: it.prev ?? 'unlabel', reviewer: this.reviewer, time: this.now() };
      if (it.prevSample) l.sample = it.prevSample;
      return l;
    });
    this.sink.append(lines);
    const at = this.view.indexOf(e.pairIndex);
    if (at >= 0) this.pos = at;
    return lines.length;
  }

  private numbersMemo: { key: string; value: ReviewNumbers } | undefined;
  private scoresVersion = 0;

  /** The numbers panel; recomputed only when the labels or the scores changed. */
  numbers(): ReviewNumbers {
    const key = `${this.sink.state.lines}|${this.scoresVersion}`;
    if (this.numbersMemo?.key !== key) this.numbersMemo = { key, value: this.computeNumbers() };
    return this.numbersMemo.value;
  }

  private computeNumbers(): ReviewNumbers {
    const state = this.sink.state;
    const reviewed: ReviewedPair[] = [];
    const byLabel: Record<Decision, number> = { valid: 0, noise: 0, unsure: 0 };
    let sampled = 0;
    for (const [id, cur] of state.current) {
      const i = this.indexById.get(id);
      if (i === undefined) continue; // a label for a pair that is not in this file
      const p = this.pairs[i];
      byLabel[cur.label]++;
      if (cur.sample) sampled++;
      const s = this.suspicionOf(p)?.score;
      reviewed.push({ label: cur.label, entityType: p.entity_type, explicit: p.explicit, sampled: cur.sample !== undefined, ...(s !== undefined ? { score: s } : {}) });
    }
    const inFile = new Map<string, Map<string, Decision>>();
    for (const [r, m] of state.byReviewer) {
      const mm = new Map<string, Decision>();
      for (const [id, l] of m) if (this.indexById.has(id)) mm.set(id, l);
      if (mm.size) inFile.set(r, mm);
    }
    return {
      pairs: this.pairs.length,
      reviewed: reviewed.length,
      byLabel,
      sampled,
      noise: noiseEstimate(reviewed, this.pairs.length, ENTITY_TYPES),
      score: scoreQuality(reviewed),
      kappa: reviewerKappa(inFile),
      reviewers: [...inFile.keys()].sort(),
    };
  }
}
