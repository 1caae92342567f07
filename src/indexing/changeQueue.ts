/**
 * Collects paths the file watcher reports and sends them in debounced batches (a scoped index run each).
 * Changes seen while the sidecar is down stay queued and go out when it is up again; a batch that fails (the
 * index is locked by the CLI, the sidecar restarted) is reported through `onError` and queued again, retried
 * after a back-off that doubles while batches keep failing. Pure: timers are injected, so the unit tests run it
 * without waiting.
 */
import * as path from 'node:path';
import { Backoff, type BackoffOptions } from '../sidecar-client/backoff';

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ChangeQueueOptions {
  /** Quiet time after the last change before a batch goes out. */
  delayMs: number;
  /** A batch goes out at the latest this long after its first change, even while changes keep coming. */
  maxWaitMs: number;
  /** Whether the sidecar can take a batch now. */
  canSend: () => boolean;
  /** Sends one batch; a rejection re-queues it. */
  send: (paths: string[]) => Promise<void>;
  /** A batch failed: it is queued again and retried in `retryInMs` (or later, when the sidecar is down). */
  onError?: (error: unknown, paths: string[], retryInMs: number) => void;
  /** Retry delays after failed batches (default: 2 s doubling to 60 s; a batch that goes through resets it). */
  retry?: BackoffOptions;
  timers?: Timers;
  now?: () => number;
}

/**
 * Drops paths inside another listed folder path (the folder's run covers them) and duplicates. `folders` says
 * which of the paths are folders (a file path is never a prefix of another path, so a path that prefixes
 * another is treated as a folder too).
 */
export function coalescePaths(paths: Iterable<string>): string[] {
  const unique = [...new Set([...paths].map((p) => path.normalize(p)))].sort();
  const out: string[] = [];
  for (const p of unique) {
    const parent = out[out.length - 1];
    if (parent !== undefined && (p === parent || p.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep))) continue;
    out.push(p);
  }
  return out;
}

export const DEFAULT_RETRY: BackoffOptions = { initialMs: 2000, maxMs: 60_000, stableMs: Number.POSITIVE_INFINITY };

export class ChangeQueue {
  private pending = new Set<string>();
  private timer: unknown;
  private firstAt: number | undefined;
  private inFlight: Promise<void> | undefined;
  private disposed = false;
  /** No batch goes out before this time (set after a failure). */
  private retryAt = 0;
  private readonly retry: Backoff;
  private readonly timers: Timers;
  private readonly now: () => number;

  constructor(private readonly o: ChangeQueueOptions) {
    this.timers = o.timers ?? realTimers;
    this.now = o.now ?? Date.now;
    this.retry = new Backoff(o.retry ?? DEFAULT_RETRY);
  }

  get size(): number {
    return this.pending.size;
  }

  add(p: string): void {
    if (this.disposed) return;
    this.pending.add(p);
    this.firstAt ??= this.now();
    this.schedule();
  }

  /** Call when the sidecar is up again: queued changes go out after the usual delay. */
  resume(): void {
    if (this.pending.size > 0) this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    const waited = this.now() - (this.firstAt ?? this.now());
    const delay = Math.max(0, Math.min(this.o.delayMs, this.o.maxWaitMs - waited), this.retryAt - this.now());
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
  }

  /** Sends the queued paths now if the sidecar can take them; otherwise they wait for resume(). */
  async flush(): Promise<void> {
    if (this.disposed || this.pending.size === 0) return;
    if (this.inFlight) {
      // One batch at a time: this one goes out when the running one ends.
      await this.inFlight;
      return this.flush();
    }
    if (!this.o.canSend()) return;
    const batch = coalescePaths(this.pending);
    this.pending.clear();
    this.firstAt = undefined;
    this.inFlight = this.o.send(batch).then(
      () => {
        this.retry.reset();
        this.retryAt = 0;
      },
      (e: unknown) => {
        if (this.disposed) return;
        for (const p of batch) this.pending.add(p);
        this.firstAt ??= this.now();
        const delay = this.retry.nextDelay(this.now());
        this.retryAt = this.now() + delay;
        this.o.onError?.(e, batch, delay);
        this.schedule();
      },
    );
    try {
      await this.inFlight;
    } finally {
      this.inFlight = undefined;
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.pending.clear();
  }
}
