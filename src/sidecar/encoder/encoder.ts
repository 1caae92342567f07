/**
 * The DR.EHR encoder: tokenizer + onnxruntime session + pooling, with length-bucketed batches.
 * `Encoder.open` validates the whole model folder (a probe run checks the output against drehr.json's dim).
 */
import * as fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { Device, ModelInfo, Precision } from '../../shared/protocol';
import { errorMessage, modelInvalid, throwIfAborted } from '../errors';
import type { Logger } from '../log';
import { lengthBatches, type BatchLimits } from './batching';
import { readModelFolder, type ModelFolder } from './modelFolder';
import { pool } from './pooling';
import { defaultThreads, openSession, type Graph } from './session';
import { TextTokenizer, type TextKind } from './textTokenizer';
import { padBatch } from './tokenize';

export interface EncoderOptions {
  modelDir: string;
  device: Device;
  /** Which graph runs (default 'auto': the int8 graph when the folder has one and the device is CPU). */
  precision?: Precision;
  /** onnxruntime intra-op threads; default: one per CPU core. */
  threads?: number;
  batch?: Partial<BatchLimits>;
}

export interface EmbedOptions {
  signal?: AbortSignal;
  /** Called after each batch with the number of texts embedded so far. */
  onBatch?: (done: number) => void;
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
    private readonly session: ort.InferenceSession,
    readonly device: 'cpu' | 'cuda',
    readonly graph: Graph,
    batch: Partial<BatchLimits> | undefined,
  ) {
    this.limits = { maxBatch: batch?.maxBatch ?? 32, maxTokens: batch?.maxTokens ?? 32 * 192 };
  }

  static async open(opts: EncoderOptions, log: Logger): Promise<Encoder> {
    const model = readModelFolder(opts.modelDir);
    const tokenizer = new TextTokenizer(model);
    const precision = opts.precision ?? 'auto';
    const pick = (d: 'cpu' | 'cuda'): Graph => chooseGraph(model, precision, d, log);
    const { session, device, graph } = await openSession(pick, model.dir, opts.device, opts.threads ?? defaultThreads(), log);
    if (!session.inputNames.includes('input_ids') || !session.inputNames.includes('attention_mask')) {
      await session.release();
      throw modelInvalid(model.dir, graph.rel, `inputs are ${session.inputNames.join(', ')}; input_ids and attention_mask are needed`);
    }
    const enc = new Encoder(model, tokenizer, session, device, graph, opts.batch);
    let probe: Float32Array[];
    try {
      probe = await enc.runBatch([tokenizer.encode('probe', 'query')]);
    } catch (e) {
      await session.release();
      throw modelInvalid(model.dir, graph.rel, `a test run failed (${errorMessage(e)})`);
    }
    if (probe[0].length !== model.drehr.dim) {
      await session.release();
      throw modelInvalid(model.dir, 'drehr.json', `"dim" is ${model.drehr.dim} but the model outputs ${probe[0].length}`);
    }
    log.info(`Model ${model.drehr.id} loaded on ${device}, ${graph.precision} (${graph.rel}; dim ${model.drehr.dim}, ${model.drehr.pooling} pooling).`);
    return enc;
  }

  get info(): ModelInfo {
    const d = this.model.drehr;
    return { id: d.id, name: d.name, dir: this.model.dir, dim: d.dim, pooling: d.pooling, trained: d.trained, device: this.device, precision: this.graph.precision, description: d.description };
  }

  /** Token ids of each text (prefix, truncation, specials). */
  tokenize(texts: readonly string[], kind: TextKind): number[][] {
    return texts.map((t) => this.tokenizer.encode(t, kind));
  }

  async embed(texts: readonly string[], kind: TextKind, opts: EmbedOptions = {}): Promise<Float32Array[]> {
    return this.embedIds(this.tokenize(texts, kind), opts);
  }

  /** Embeds pre-tokenized sequences in length-bucketed batches; results in input order. */
  async embedIds(ids: readonly number[][], opts: EmbedOptions = {}, batches?: number[][]): Promise<Float32Array[]> {
    const out = new Array<Float32Array>(ids.length);
    let done = 0;
    for (const batch of batches ?? lengthBatches(ids.map((s) => s.length), this.limits)) {
      throwIfAborted(opts.signal);
      const vecs = await this.runBatch(batch.map((i) => ids[i]));
      batch.forEach((i, j) => (out[i] = vecs[j]));
      done += batch.length;
      opts.onBatch?.(done);
    }
    return out;
  }

  /** One forward pass over already-tokenized sequences (padding done here). */
  async runBatch(sequences: readonly (readonly number[])[]): Promise<Float32Array[]> {
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
    await this.session.release();
  }
}
