/**
 * One PyTorch child per visible GPU. The first child starts as before and says in its hello how many CUDA devices
 * it sees; each further child is started with CUDA_VISIBLE_DEVICES naming its own device (so it runs on its cuda:0),
 * and batches are dealt round-robin. Back-pressure stays the encoder's: it keeps at most `inFlight` batches per
 * worker outstanding (Encoder.pump), so memory is bounded whatever the folder size. On CPU there is one child.
 * `workers` (tests, benchmarks) forces the count: two CPU children stand in for two GPUs.
 */
import type { Logger } from '../log';
import { errorMessage } from '../errors';
import { cudaVisibleFor } from '../indexer/shard';
import { TorchEngine, type TorchEngineOptions, type TorchHello } from './torchEngine';

/** What the encoder needs of the torch side: one child (TorchEngine) or several (TorchPool). */
export interface TorchRunner {
  readonly hello: TorchHello;
  readonly pid: number | undefined;
  readonly crashes: number;
  readonly workers: number;
  run(sequences: readonly (readonly number[])[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

export class TorchPool implements TorchRunner {
  private next = 0;
  /** Batches dealt to each worker, and the most outstanding at once (tests). */
  readonly dealt: number[];
  private outstanding = 0;
  maxOutstanding = 0;

  private constructor(readonly children: TorchEngine[]) {
    this.dealt = children.map(() => 0);
  }

  /** Starts the children: one, or one per CUDA device (or `workers`). A further child that cannot start is left out with a warning. */
  static async start(opts: TorchEngineOptions, log: Logger, workers?: number): Promise<TorchRunner> {
    const first = await TorchEngine.start(opts, log);
    const cuda = first.hello.device === 'cuda';
    const count = workers ?? (cuda ? Math.max(1, first.hello.devices ?? 1) : 1);
    if (count <= 1) return first;
    const parentVisible = opts.env?.CUDA_VISIBLE_DEVICES ?? process.env.CUDA_VISIBLE_DEVICES;
    const rest = await Promise.allSettled(
      Array.from({ length: count - 1 }, (_, i) =>
        TorchEngine.start({ ...opts, env: { ...opts.env, ...(cuda ? { CUDA_VISIBLE_DEVICES: cudaVisibleFor(i + 1, parentVisible, first.hello.devices) } : {}) } }, log),
      ),
    );
    const children = [first];
    for (const [i, r] of rest.entries()) {
      if (r.status === 'fulfilled') children.push(r.value);
      else log.warn(`PyTorch worker ${i + 2} of ${count} cannot start (${errorMessage(r.reason)}); going on with the others.`);
    }
    if (children.length === 1) return first;
    log.info(`PyTorch engine: ${children.length} workers${cuda ? ', one per GPU' : ''}, batches dealt round-robin.`);
    return new TorchPool(children);
  }

  get hello(): TorchHello {
    return this.children[0].hello;
  }
  get pid(): number | undefined {
    return this.children[0].pid;
  }
  get crashes(): number {
    return this.children.reduce((n, c) => n + c.crashes, 0);
  }
  get workers(): number {
    return this.children.length;
  }

  run(sequences: readonly (readonly number[])[]): Promise<Float32Array[]> {
    const i = this.next;
    this.next = (this.next + 1) % this.children.length;
    this.dealt[i]++;
    this.maxOutstanding = Math.max(this.maxOutstanding, ++this.outstanding);
    return this.children[i].run(sequences).finally(() => this.outstanding--);
  }

  async close(): Promise<void> {
    await Promise.all(this.children.map((c) => c.close()));
  }
}
