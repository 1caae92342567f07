/**
 * The review's work behind one message interface, Node only (no vscode): what runs in the review worker thread
 * (worker.ts) so that reading, parsing and indexing a large pairs file, the label log's fsyncs and the numbers
 * never block the extension host's main thread. The host (src/views/pairsReview.ts, through workerClient.ts)
 * sends requests and gets back a Snapshot (the view message, the pair under the cursor, the chunks to prefetch);
 * the engine also emits events on its own: the first page of a file still being read, reading progress, and
 * decisions other windows appended to the label log. Pure enough to unit-test without a thread
 * (test/unit/review/engine.test.ts).
 */
import * as path from 'node:path';
import { writeFileAtomicSync } from '../shared/atomicWrite';
import { labelsPathFor, type Decision, type Pair } from '../shared/pairs';
import type { ReviewFilterView, ReviewInfo, ReviewOrderName, ReviewView } from '../shared/webview-pairs';
import { cleanPairs, cleanSummary } from './export';
import { loadReview, readScores, type LoadedReview } from './load';
import { ReviewSession, type LabelSink } from './session';
import { numbersView, reviewView } from './view';

/** Chunks fetched ahead of the cursor, so the next pairs draw without waiting on the index. */
export const PREFETCH = 24;
/** The first page is sent after this many pairs are read; progress after every PROGRESS_EVERY more. */
const FIRST_PAGE = 200;
const PROGRESS_EVERY = 10_000;

/** What the host needs after every change: the view, the pair under the cursor (for its chunk), what to prefetch. */
export interface Snapshot {
  view: ReviewView;
  pair?: Pair;
  /** Chunk ids from the cursor on (the cursor's first). */
  upcoming: string[];
}

export interface Restore {
  order: ReviewOrderName;
  seed: number;
  filter: ReviewFilterView;
  pairId?: string;
}

export type EngineRequest =
  | { op: 'open'; file: string; reviewer: string; seed?: number }
  | { op: 'restore'; restore: Restore }
  | { op: 'view' }
  | { op: 'decide'; label: Decision }
  | { op: 'undo' }
  | { op: 'move'; delta: number }
  | { op: 'goto'; position: number }
  | { op: 'setOrder'; order: ReviewOrderName; seed?: number }
  | { op: 'setFilter'; filter: ReviewFilterView }
  | { op: 'bulk'; label: Decision }
  /** Re-read `<pairs>.suspicion.jsonl` (after the sidecar scored the pairs). */
  | { op: 'reloadScores' }
  /** Write the cleaned pairs and their summary (atomic writes). */
  | { op: 'export'; out: string; dropUnsure: boolean; time: string }
  | { op: 'close' };

export interface EngineReply {
  snapshot?: Snapshot;
  info?: ReviewInfo;
  /** undo: the pairs it touched; bulk: the lines written. */
  count?: number;
  exported?: { kept: number; removed: number };
  notices?: string[];
}

export type EngineEvent =
  /** While a file is read: the first page (snapshot, view.loading set) once, then progress without one. */
  | { event: 'loading'; done: number; total: number; snapshot?: Snapshot }
  /** Decisions another window appended were read. */
  | { event: 'changed'; snapshot: Snapshot };

export class ReviewEngine {
  private review: LoadedReview | undefined;
  private file = '';

  constructor(private readonly emit: (e: EngineEvent) => void = () => {}) {}

  get loaded(): LoadedReview | undefined {
    return this.review;
  }

  static snapshotOf(s: ReviewSession, loading?: { done: number; total: number }): Snapshot {
    const view = reviewView(s, numbersView(s.numbers()));
    if (loading) view.loading = loading;
    const out: Snapshot = { view, upcoming: s.upcoming(PREFETCH).map((i) => s.pairs[i].chunk_id) };
    const p = s.current;
    if (p) out.pair = p;
    return out;
  }

  private snapshot(): Snapshot {
    return ReviewEngine.snapshotOf(this.session());
  }

  private session(): ReviewSession {
    if (!this.review) throw new Error('the pairs file is not open');
    return this.review.session;
  }

  info(): ReviewInfo {
    return {
      file: path.basename(this.file),
      labelsFile: path.basename(labelsPathFor(this.file)),
      notices: this.review?.notices ?? [],
      ...(this.review?.readOnly ? { readOnly: this.review.readOnly } : {}),
    };
  }

  private open(file: string, reviewer: string, seed: number | undefined): EngineReply {
    if (this.review) throw new Error('a pairs file is already open');
    this.file = file;
    let sentPage = false;
    let lastDone = 0;
    this.review = loadReview(file, reviewer, {
      ...(seed !== undefined ? { seed } : {}),
      progress: {
        first: FIRST_PAGE,
        every: PROGRESS_EVERY,
        fn: (pairs: readonly Pair[], at: number, total: number, labels: LabelSink) => {
          if (at <= lastDone) return; // the head's page came first; the full parse catches up
          lastDone = at;
          const loading = { done: at, total };
          if (sentPage) {
            this.emit({ event: 'loading', ...loading });
            return;
          }
          sentPage = true;
          // The first page: file order from the first pair, over what is read so far, labels already known.
          const preview = new ReviewSession(pairs.slice(), labels, reviewer, seed !== undefined ? { seed } : {});
          this.emit({ event: 'loading', ...loading, snapshot: ReviewEngine.snapshotOf(preview, loading) });
        },
      },
    });
    return { snapshot: this.snapshot(), info: this.info() };
  }

  /** Reads what other windows appended to the label log; emits `changed` when there was any. */
  poll(): void {
    if (!this.review?.log) return;
    try {
      if (this.review.log.refresh() > 0) this.emit({ event: 'changed', snapshot: this.snapshot() });
    } catch {
      // A log turned unreadable (or newer) under us: keep what we have; the next decision reports it.
    }
  }

  private writable(): void {
    if (this.review?.readOnly) throw new Error(this.review.readOnly);
  }

  handle(req: EngineRequest): EngineReply {
    if (req.op === 'open') return this.open(req.file, req.reviewer, req.seed);
    if (req.op === 'close') {
      this.review?.log?.close();
      return {};
    }
    const s = this.session();
    switch (req.op) {
      case 'restore':
        s.setOrder(req.restore.order, req.restore.seed);
        s.setFilter(req.restore.filter);
        if (req.restore.pairId) s.gotoPair(req.restore.pairId);
        break;
      case 'view':
        break;
      case 'decide':
        this.writable();
        s.decide(req.label);
        break;
      case 'undo':
        this.writable();
        return { count: s.undo(), snapshot: this.snapshot() };
      case 'move':
        s.move(req.delta);
        break;
      case 'goto':
        s.goto(req.position);
        break;
      case 'setOrder':
        s.setOrder(req.order, req.seed);
        break;
      case 'setFilter':
        s.setFilter(req.filter);
        break;
      case 'bulk':
        this.writable();
        return { count: s.bulk(req.label), snapshot: this.snapshot() };
      case 'reloadScores': {
        const r = readScores(this.file);
        s.setScores(r.scores);
        return { snapshot: this.snapshot(), notices: r.notices };
      }
      case 'export':
        return { exported: this.writeCleaned(req.out, req.dropUnsure, req.time) };
    }
    return { snapshot: this.snapshot() };
  }

  private writeCleaned(out: string, dropUnsure: boolean, time: string): { kept: number; removed: number } {
    if (path.resolve(out) === path.resolve(this.file)) throw new Error('the cleaned pairs never replace the pairs under review: choose another file');
    const s = this.session();
    const cleaned = cleanPairs(s.pairs, (id) => s.labels.labelOf(id), { dropUnsure });
    writeFileAtomicSync(out, cleaned.lines.join('\n') + (cleaned.lines.length ? '\n' : ''));
    const summary = cleanSummary(
      cleaned.counts,
      { source: path.basename(this.file), labels: path.basename(labelsPathFor(this.file)), written: path.basename(out) },
      numbersView(s.numbers()),
      time,
    );
    writeFileAtomicSync(`${out}.summary.json`, JSON.stringify(summary, null, 2) + '\n');
    return { kept: cleaned.counts.kept, removed: cleaned.counts.removedNoise + cleaned.counts.removedUnsure };
  }
}
