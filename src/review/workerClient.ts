/**
 * The host's side of the review worker (worker.ts): starts the thread, sends engine requests and resolves them
 * with the replies, hands engine events (first page, progress, other windows' decisions) to a callback. Node
 * only (no vscode): the review editor and bench/pairsReviewBench.ts use it.
 */
import { Worker } from 'node:worker_threads';
import type { EngineEvent, EngineReply, EngineRequest } from './engine';

type Pending = { resolve: (r: EngineReply) => void; reject: (e: Error) => void };

export class ReviewWorkerError extends Error {}

export class ReviewWorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | undefined;
  private closing = false;

  /** `script`: the bundled worker (dist/reviewWorker.js). */
  constructor(
    script: string,
    private readonly onEvent: (e: EngineEvent) => void,
  ) {
    this.worker = new Worker(script);
    this.worker.on('message', (m: { id?: number; reply?: EngineReply; error?: string } & Partial<EngineEvent>) => {
      if (typeof m.id === 'number') {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (!p) return;
        if (m.error !== undefined) p.reject(new ReviewWorkerError(m.error));
        else p.resolve(m.reply ?? {});
      } else if (m.event) {
        this.onEvent(m as EngineEvent);
      }
    });
    this.worker.on('error', (e) => this.fail(e instanceof Error ? e : new Error(String(e))));
    this.worker.on('exit', (code) => this.fail(new Error(`the review worker stopped (exit code ${code})`)));
  }

  private fail(e: Error): void {
    if (!this.dead) this.dead = this.closing ? new Error('the review was closed') : e;
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
  }

  request(req: EngineRequest): Promise<EngineReply> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, req });
    });
  }

  /** Closes the label log, then ends the thread (also when the close request fails). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      if (!this.dead) await this.request({ op: 'close' });
    } catch {
      // ending the thread anyway
    }
    await this.worker.terminate();
  }
}
