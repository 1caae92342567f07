/**
 * The DR.EHR encoder: tokenizer + onnxruntime session + pooling, with length-bucketed batches.
 * `Encoder.open` validates the whole model folder (a probe run checks the output against drehr.json's dim).
 */
import * as fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { Device, EngineChoice, ModelInfo, Precision } from '../../shared/protocol';
import { errorMessage, modelInvalid, throwIfAborted } from '../errors';
import type { Logger } from '../log';
import { lengthBatches, type BatchLimits } from './batching';
import { openTorchEncoder } from './engineOpen';
import { readModelFolder, type ModelFolder } from './modelFolder';
import { pool } from './pooling';
import { defaultThreads, openSession, type Graph } from './session';
import { TextTokenizer, type TextKind } from './textTokenizer';
import { padBatch } from './tokenize';
import type { TorchDtype } from './torchEngine';
import type { TorchRunner } from './torchPool';

export interface EncoderOptions {
  modelDir: string;
  device: Device;
  /** Which graph runs (default 'auto': the int8 graph when the folder has one and the device is CPU). */
  precision?: Precision;
  /** onnxruntime intra-op threads; default: one per CPU core. */
  threads?: number;
  batch?: Partial<BatchLimits>;
  /** auto | onnx | torch (default onnx); torch runs python/drehr_train's encoder in a child (torchEngine.ts). */
  engine?: EngineChoice;
  /** The interpreter of the torch engine. */
  python?: string;
  /** The torch engine's precision (default auto: fp16 on CUDA, fp32 on CPU). */
  torchDtype?: TorchDtype | 'auto';
  /** Batches in flight at once on the torch engine, per worker (default 4). */
  inFlight?: number;
  /** Torch children (default: one per visible CUDA device, one on CPU); tests set 2 on CPU to stand in for two GPUs. */
  torchWorkers?: number;
  /** Extra environment of the torch child (tests). */
  torchEnv?: Record<string, string>;
}

export interface EmbedOptions {
  signal?: AbortSignal;
  /** Called after each batch with the number of texts embedded so far. */
  onBatch?: (done: number) => void;
}

/** One batch of the pipeline: its sequences and where its vectors go. */
interface Job {
  seqs: number[][];
  put: (vecs: Float32Array[]) => void;
}

/**
 * The graph to run for a precision setting on a device. 'auto' takes the int8 graph on CPU when drehr.json names
 * one (a named but missing file is logged and the fp32 graph runs); on CUDA it takes fp32 (onnxruntime's int8
 * MatMul kernels are CPU kernels). 'int8' without an int8 graph is ModelInvalid with what to do.
 */
export function chooseGraph(model: ModelFolder, precision: Precision, device: 'cpu' | 'cuda', log: Logger): Graph {
  const fp32: Graph = { path: model.onnxPath, rel: model.drehr.onnx, precision: 'fp32' };
  if (precision === 'fp32') return fp32;
  const rel = model.drehr.onnxInt8;
  const int8Path = model.onnxInt8Path;
  if (precision === 'int8') {
    if (!rel || !int8Path) {
      throw modelInvalid(model.dir, 'drehr.json', `has no int8 graph ("onnx_int8") but drehr.precision is int8. Run "python -m drehr_train quantize --model ${model.dir}" or set drehr.precision to auto or fp32`);
    }
    if (!fs.existsSync(int8Path)) throw modelInvalid(model.dir, rel, 'file is missing (drehr.json "onnx_int8" names it)');
    return { path: int8Path, rel, precision: 'int8' };
  }
  if (device !== 'cpu' || !rel || !int8Path) return fp32;
  if (!fs.existsSync(int8Path)) {
    log.warn(`${rel} (drehr.json "onnx_int8") is missing in ${model.dir}; the fp32 graph runs.`);
    return fp32;
  }
  return { path: int8Path, rel, precision: 'int8' };
}

export class Encoder {
  readonly limits: BatchLimits;

  private constructor(
    readonly model: ModelFolder,
    readonly tokenizer: TextTokenizer,
    private readonly session: ort.InferenceSession | undefined,
    readonly device: 'cpu' | 'cuda',
    readonly graph: Graph,
    batch: Partial<BatchLimits> | undefined,
    /** The PyTorch child, or one per GPU, when drehr.engine chose torch (then session is undefined). */
    readonly torch?: TorchRunner,
    private readonly inFlight = 1,
  ) {
    this.limits = { maxBatch: batch?.maxBatch ?? (torch?.hello.device === 'cuda' ? 256 : 32), maxTokens: batch?.maxTokens ?? (torch?.hello.device === 'cuda' ? 256 * 160 : 32 * 192) };
  }

  static async open(opts: EncoderOptions, log: Logger): Promise<Encoder> {
    const model = readModelFolder(opts.modelDir);
    const tokenizer = new TextTokenizer(model);
    const torch = await openTorchEncoder(model, tokenizer.ids.pad, opts, log);
    if (torch) {
      // The torch engine runs the fp32 weights (in its own dtype): the int8 graph is onnxruntime's.
      if (opts.precision === 'int8') log.info(`drehr.precision int8 applies to the onnx engine; PyTorch runs ${torch.hello.dtype}.`);
      const graph: Graph = { path: model.onnxPath, rel: model.drehr.onnx, precision: 'fp32' };
      const enc = new Encoder(model, tokenizer, undefined, torch.hello.device, graph, opts.batch, torch, (opts.inFlight ?? 4) * torch.workers);
      await enc.checkProbe(() => torch.close());
      log.info(`Model ${model.drehr.id} loaded on ${torch.hello.device}${torch.hello.gpu ? ` (${torch.hello.gpu})` : ''} by PyTorch ${torch.hello.torch}, ${torch.hello.dtype} (dim ${model.drehr.dim}, ${model.drehr.pooling} pooling).`);
      return enc;
    }
    const precision = opts.precision ?? 'auto';
    const pick = (d: 'cpu' | 'cuda'): Graph => chooseGraph(model, precision, d, log);
    const { session, device, graph } = await openSession(pick, model.dir, opts.device, opts.threads ?? defaultThreads(), log);
    if (!session.inputNames.includes('input_ids') || !session.inputNames.includes('attention_mask')) {
      await session.release();
      throw modelInvalid(model.dir, graph.rel, `inputs are ${session.inputNames.join(', ')}; input_ids and attention_mask are needed`);
    }
    const enc = new Encoder(model, tokenizer, session, device, graph, opts.batch);
    await enc.checkProbe(() => session.release());
    log.info(`Model ${model.drehr.id} loaded on ${device}, ${graph.precision} (${graph.rel}; dim ${model.drehr.dim}, ${model.drehr.pooling} pooling).`);
    return enc;
  }

  /** A test run: the output must have drehr.json's dim. On failure the engine is released and ModelInvalid thrown. */
  private async checkProbe(release: () => Promise<void>): Promise<void> {
    const file = this.torch ? (this.torch.hello.weights ?? this.model.drehr.onnx) : this.graph.rel;
    let probe: Float32Array[];
    try {
      probe = await this.runBatch([this.tokenizer.encode('probe', 'query')]);
    } catch (e) {
      await release();
      throw modelInvalid(this.model.dir, file, `a test run failed (${errorMessage(e)})`);
    }
    if (probe[0].length !== this.model.drehr.dim) {
      await release();
      throw modelInvalid(this.model.dir, 'drehr.json', `"dim" is ${this.model.drehr.dim} but the model outputs ${probe[0].length}`);
    }
  }

  get info(): ModelInfo {
    const d = this.model.drehr;
    const engine = this.torch ? { engine: 'torch' as const, dtype: this.torch.hello.dtype, ...(this.torch.hello.gpu ? { gpu: this.torch.hello.gpu } : {}) } : { engine: 'onnx' as const };
    return { id: d.id, name: d.name, dir: this.model.dir, dim: d.dim, pooling: d.pooling, trained: d.trained, device: this.device, precision: this.graph.precision, ...engine, description: d.description };
  }

  /** Token ids of each text (prefix, truncation, specials). */
  tokenize(texts: readonly string[], kind: TextKind): number[][] {
    return texts.map((t) => this.tokenizer.encode(t, kind));
  }

  async embed(texts: readonly string[], kind: TextKind, opts: EmbedOptions = {}): Promise<Float32Array[]> {
    if (!this.torch) return this.embedIds(this.tokenize(texts, kind), opts);
    // The torch child computes while this side tokenizes: texts are tokenized a group at a time (each group
    // length-sorted on its own), pulled only when a slot of the in-flight window is free.
    const group = this.limits.maxBatch * this.inFlight;
    const out = new Array<Float32Array>(texts.length);
    const tokenize = (start: number): number[][] => this.tokenize(texts.slice(start, start + group), kind);
    const limits = this.limits;
    function* jobs(): Generator<Job> {
      for (let start = 0; start < texts.length; start += group) {
        const ids = tokenize(start);
        for (const batch of lengthBatches(ids.map((s) => s.length), limits)) {
          yield { seqs: batch.map((i) => ids[i]), put: (vecs) => batch.forEach((i, j) => (out[start + i] = vecs[j])) };
        }
      }
    }
    await this.pump(jobs(), opts);
    return out;
  }

  /**
   * Embeds pre-tokenized sequences in length-bucketed batches; results in input order. Up to `inFlight` batches
   * run at once (the torch child queues them, so it computes while this side pads the next; 1 for onnxruntime).
   */
  async embedIds(ids: readonly number[][], opts: EmbedOptions = {}, batches?: number[][]): Promise<Float32Array[]> {
    const out = new Array<Float32Array>(ids.length);
    const jobs = (batches ?? lengthBatches(ids.map((s) => s.length), this.limits)).map(
      (batch): Job => ({ seqs: batch.map((i) => ids[i]), put: (vecs) => batch.forEach((i, j) => (out[i] = vecs[j])) }),
    );
    await this.pump(jobs, opts);
    return out;
  }

  /** Runs batches with at most `inFlight` outstanding (back-pressure); the first failure stops it, after the rest settle. */
  private async pump(jobs: Iterable<Job>, opts: EmbedOptions): Promise<void> {
    let done = 0;
    let failure: { error: unknown } | undefined;
    const running: Promise<void>[] = [];
    for (const job of jobs) {
      if (failure) break;
      throwIfAborted(opts.signal);
      running.push(
        this.runBatch(job.seqs).then(
          (vecs) => {
            job.put(vecs);
            done += job.seqs.length;
            opts.onBatch?.(done);
          },
          (error: unknown) => {
            failure ??= { error };
          },
        ),
      );
      if (running.length >= this.inFlight) await running.shift();
    }
    await Promise.all(running);
    if (failure) throw failure.error;
  }

  /** One forward pass over already-tokenized sequences (padding done here). */
  async runBatch(sequences: readonly (readonly number[])[]): Promise<Float32Array[]> {
    if (this.torch) return this.torch.run(sequences);
    if (!this.session) throw new Error('the encoder has no engine');
    const p = padBatch(sequences, this.tokenizer.ids.pad);
    const dims = [p.batch, p.seq];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', p.inputIds, dims),
      attention_mask: new ort.Tensor('int64', p.attentionMask, dims),
    };
    if (this.session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(p.batch * p.seq), dims);
    const outputs = await this.session.run(feeds);
    const name = this.session.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : this.session.outputNames[0];
    const hidden = outputs[name];
    const hiddenDims = hidden.dims;
    const data = hidden.data as Float32Array;
    for (const t of Object.values(outputs)) if (t !== hidden) t.dispose();
    let vecs: Float32Array[];
    if (hiddenDims.length === 2) {
      // A graph that already pools: [batch, dim].
      const dim = hiddenDims[1];
      vecs = Array.from({ length: p.batch }, (_, b) => data.slice(b * dim, (b + 1) * dim));
    } else {
      vecs = pool(data, p.batch, p.seq, hiddenDims[2], p.mask, this.model.drehr.pooling, this.model.drehr.normalize);
    }
    hidden.dispose();
    return vecs;
  }

  async close(): Promise<void> {
    if (this.torch) await this.torch.close();
    else await this.session?.release();
  }
}
