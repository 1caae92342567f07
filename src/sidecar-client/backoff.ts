/**
 * Restart delays after sidecar crashes: 1 s, 2 s, 4 s … capped at 30 s; a process that stayed up for a stable
 * minute resets the sequence. Pure and clock-injected, so it is unit-tested without timers.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** A process that ran this long before crashing counts as stable: the next delay is the initial one again. */
  stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 30000, stableMs: 60000 };

export class Backoff {
  private failures = 0;
  private startedAt: number | undefined;

  constructor(private readonly o: BackoffOptions = DEFAULT_BACKOFF) {}

  /** Call when a process has started. */
  started(now: number): void {
    this.startedAt = now;
  }

  /** Call after a crash: the delay before the next start. */
  nextDelay(now: number): number {
    if (this.startedAt !== undefined && now - this.startedAt >= this.o.stableMs) this.failures = 0;
    this.startedAt = undefined;
    const delay = Math.min(this.o.maxMs, this.o.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return delay;
  }

  /** Crashes in a row since the last stable run. */
  get attempts(): number {
    return this.failures;
  }

  /** A deliberate restart starts over. */
  reset(): void {
    this.failures = 0;
    this.startedAt = undefined;
  }
}
