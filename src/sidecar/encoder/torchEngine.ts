/**
 * The PyTorch engine: `python -m drehr_train serve-encoder` as a child process that runs the trainer's own encoder
 * on batches this side has tokenized and padded, over the binary framing of docs/CONTRACTS.md ("PyTorch engine
 * framing"; the Python side is python/drehr_train/serve_encoder.py).
 *
 * - Several batches may be in flight (the caller bounds how many: back-pressure); the child answers in order.
 * - The child is owned here: close() ends it (stdin closed, then SIGKILL after a grace period). A child that dies
 *   on its own is restarted with back-off and every unanswered batch is sent again, so a job finishes with the same
 *   embeddings; after MAX_RESTARTS deaths without an answer in between, the pending batches fail.
 * - An out-of-memory answer halves the batch (both halves are sent again) and caps later batches at that size.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCodes, type Device } from '../../shared/protocol';
import { EngineError } from '../errors';
import type { Logger } from '../log';

export type TorchDtype = 'fp32' | 'fp16' | 'bf16';

export const HEADER_BYTES = 20;
export const enum FrameKind {
  Embed = 1,
  Embeddings = 2,
  Hello = 3,
  Error = 4,
}
export const enum FrameDtype {
  Json = 0,
  Int32 = 1,
  Float32 = 2,
  Float16 = 3,
}
export const FATAL_BATCH = 0xffffffff;
const MAX_RESTARTS = 3;
const HELLO_TIMEOUT_MS = 180_000;
const CLOSE_GRACE_MS = 5_000;

/** What the child says about itself in its first frame. */
export interface TorchHello {
  torch: string;
  device: 'cpu' | 'cuda';
  dtype: TorchDtype;
  dim: number;
  model: string | null;
  /** The weights file loaded (model.safetensors, pytorch_model.bin, or the ONNX graph's). */
  weights: string | null;
  gpu: string | null;
  pid: number;
  cpu_reason: string | null;
  /** CUDA devices the child sees (0 on CPU; absent from older trainers). */
  devices?: number;
}

export interface TorchEngineOptions {
  python: string;
  modelDir: string;
  device: Device;
  /** auto: fp16 on CUDA, fp32 on CPU. */
  dtype: TorchDtype | 'auto';
  padId: number;
  threads?: number;
  /** Extra environment (tests: DREHR_SERVE_TOKEN_BUDGET). PYTHONPATH gets the trainer's folder first. */
  env?: Record<string, string>;
  /** Folder holding drehr_train (default: python/ beside the bundle, found upwards). */
  trainerRoot?: string;
}

/** Error frames of the child: code oom | error | frame | load | device. */
export class ChildError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`PyTorch engine: ${message}`);
  }
}

/** The child could not start; childCode is its error frame's code (load, device, oom) when it sent one. */
export class TorchStartError extends EngineError {
  constructor(
    message: string,
    readonly childCode: string | undefined,
    reason: string,
  ) {
    super(ErrorCodes.DeviceUnavailable, message, { reason });
  }
}

interface Pending {
  id: number;
  frame: Buffer;
  rows: number;
  cols: number;
  resolve: (v: Float32Array[]) => void;
  reject: (e: unknown) => void;
}

/** The folder that holds the drehr_train package: python/ beside dist/ (bundle) or the repository (tests). */
export function findTrainerRoot(from = __dirname): string | undefined {
  let dir = from;
  for (let i = 0; i < 5; i++) {
    const cand = path.join(dir, 'python');
    if (fs.existsSync(path.join(cand, 'drehr_train', 'serve_encoder.py'))) return cand;
    dir = path.dirname(dir);
  }
  return undefined;
}

/** One EMBED frame: header, int32 ids padded with padId, int32 mask. Pure. */
export function embedFrame(id: number, sequences: readonly (readonly number[])[], padId: number): { frame: Buffer; rows: number; cols: number } {
  const rows = sequences.length;
  const cols = sequences.reduce((m, s) => Math.max(m, s.length), 0);
  const n = rows * cols;
  const frame = Buffer.alloc(HEADER_BYTES + n * 8);
  writeHeader(frame, n * 8, FrameKind.Embed, FrameDtype.Int32, id, rows, cols);
  const ids = new Int32Array(frame.buffer, frame.byteOffset + HEADER_BYTES, n).fill(padId);
  const mask = new Int32Array(frame.buffer, frame.byteOffset + HEADER_BYTES + n * 4, n);
  sequences.forEach((s, r) => {
    for (let t = 0; t < s.length; t++) {
      ids[r * cols + t] = s[t];
      mask[r * cols + t] = 1;
    }
  });
  return { frame, rows, cols };
}

export function writeHeader(b: Buffer, bodyBytes: number, kind: number, dtype: number, id: number, rows: number, cols: number): void {
  b.writeUInt32LE(bodyBytes, 0);
  b.writeUInt8(kind, 4);
  b.writeUInt8(dtype, 5);
  b.writeUInt16LE(0, 6);
  b.writeUInt32LE(id >>> 0, 8);
  b.writeUInt32LE(rows, 12);
  b.writeUInt32LE(cols, 16);
}

export interface Frame {
  kind: number;
  dtype: number;
  id: number;
  rows: number;
  cols: number;
  body: Buffer;
}

/** Splits a byte stream into frames; feed() returns the frames completed by a chunk (a frame is copied once). */
export class FrameReader {
  private chunks: Buffer[] = [];
  private len = 0;

  feed(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.len += chunk.length;
    const out: Frame[] = [];
    while (this.len >= HEADER_BYTES) {
      if (this.chunks[0].length < HEADER_BYTES) this.chunks = [Buffer.concat(this.chunks, this.len)];
      const size = this.chunks[0].readUInt32LE(0);
      if (this.len < HEADER_BYTES + size) break;
      const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.len);
      out.push({
        kind: buf.readUInt8(4),
        dtype: buf.readUInt8(5),
        id: buf.readUInt32LE(8),
        rows: buf.readUInt32LE(12),
        cols: buf.readUInt32LE(16),
        body: buf.subarray(HEADER_BYTES, HEADER_BYTES + size),
      });
      const rest = buf.subarray(HEADER_BYTES + size);
      this.chunks = rest.length ? [rest] : [];
      this.len = rest.length;
    }
    return out;
  }
}

/** The vectors of an EMBEDDINGS frame (float32 or float16 body, little-endian). */
export function decodeEmbeddings(f: Frame): Float32Array[] {
  const { rows, cols } = f;
  const n = rows * cols;
  const flat = new Float32Array(n);
  if (f.dtype === FrameDtype.Float32 && f.body.length === n * 4) {
    if (LITTLE_ENDIAN) new Uint8Array(flat.buffer).set(f.body);
    else for (let i = 0; i < n; i++) flat[i] = f.body.readFloatLE(i * 4);
  } else if (f.dtype === FrameDtype.Float16 && f.body.length === n * 2) {
    for (let i = 0; i < n; i++) flat[i] = halfToFloat(f.body.readUInt16LE(i * 2));
  } else {
    throw new ChildError('frame', `an embeddings frame of dtype ${f.dtype} with ${f.body.length} bytes for ${rows}x${cols}`);
  }
  return Array.from({ length: rows }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function jsonBody(f: Frame): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(f.body.toString('utf8'));
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** One live child: its process, its frame reader, and a promise for its hello. */
interface Child {
  proc: ChildProcess;
  stderrTail: string;
  exited: boolean;
}

export class TorchEngine {
  private child: Child | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  private dead: Error | undefined;
  private restarts = 0;
  private restarting: Promise<void> | undefined;
  /** Most sequences a batch may hold (lowered by out-of-memory answers). */
  private maxRows = Infinity;
  hello!: TorchHello;
  /** Restarts after a crash, for tests and the log. */
  crashes = 0;
  /** One child (torchPool.ts runs several). */
  readonly workers = 1;

  private constructor(
    private readonly opts: TorchEngineOptions,
    private readonly log: Logger,
  ) {}

  /** Starts the child and waits for its hello; a start-up failure is an EngineError with the child's reason. */
  static async start(opts: TorchEngineOptions, log: Logger): Promise<TorchEngine> {
    const eng = new TorchEngine(opts, log);
    await eng.spawnChild();
    return eng;
  }

  get pid(): number | undefined {
    return this.child?.proc.pid;
  }

  /** Embeds one padded batch; batches larger than the current out-of-memory cap are split first. */
  run(sequences: readonly (readonly number[])[]): Promise<Float32Array[]> {
    if (sequences.length > this.maxRows) {
      const parts: Promise<Float32Array[]>[] = [];
      for (let i = 0; i < sequences.length; i += this.maxRows) parts.push(this.run(sequences.slice(i, i + this.maxRows)));
      return Promise.all(parts).then((p) => p.flat());
    }
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<Float32Array[]>((resolve, reject) => {
      const id = this.nextId++;
      if (this.nextId >= FATAL_BATCH) this.nextId = 1;
      const { frame, rows, cols } = embedFrame(id, sequences, this.opts.padId);
      const p: Pending = { id, frame, rows, cols, resolve, reject };
      this.pending.set(id, p);
      if (this.child && !this.restarting) this.write(p);
    }).catch((e: unknown) => {
      if (e instanceof ChildError && e.code === 'oom') return this.halve(sequences, e);
      throw e;
    });
  }

  private halve(sequences: readonly (readonly number[])[], e: ChildError): Promise<Float32Array[]> {
    const cols = sequences.reduce((m, s) => Math.max(m, s.length), 0);
    if (sequences.length <= 1) {
      throw new EngineError(
        ErrorCodes.DeviceUnavailable,
        `Out of device memory on a single sequence of ${cols} tokens (${e.message}). Free the GPU, use a smaller model, or set drehr.engine to onnx.`,
        { reason: e.message },
      );
    }
    const half = Math.ceil(sequences.length / 2);
    if (half < this.maxRows) {
      this.maxRows = half;
      this.log.warn(`Out of device memory on a batch of ${sequences.length}x${cols} tokens: halving, batches now hold at most ${half} sequences.`);
    }
    return Promise.all([this.run(sequences.slice(0, half)), this.run(sequences.slice(half))]).then(([a, b]) => [...a, ...b]);
  }

  private write(p: Pending): void {
    const stdin = this.child?.proc.stdin;
    if (!stdin || stdin.destroyed) return; // the exit handler sends it again
    stdin.write(p.frame, (err) => {
      if (err) this.log.debug(`PyTorch engine: a write failed (${err.message}); it is sent again after the restart.`);
    });
  }

  private spawnChild(): Promise<void> {
    const o = this.opts;
    const root = o.trainerRoot ?? findTrainerRoot();
    if (!root) return Promise.reject(new EngineError(ErrorCodes.DeviceUnavailable, 'The PyTorch engine needs the trainer package (python/drehr_train) beside the sidecar; it is missing. Set drehr.engine to onnx.', { reason: 'drehr_train not found' }));
    const pp = process.env.PYTHONPATH;
    const env = { ...process.env, ...o.env, PYTHONPATH: [root, ...(pp ? [pp] : [])].join(path.delimiter), PYTHONUNBUFFERED: '1' };
    const args = ['-m', 'drehr_train', 'serve-encoder', '--model', o.modelDir, '--device', o.device, '--dtype', o.dtype, ...(o.threads ? ['--threads', String(o.threads)] : [])];
    const proc = spawn(o.python, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const child: Child = { proc, stderrTail: '', exited: false };
    this.child = child;
    const reader = new FrameReader();
    return new Promise<void>((resolve, reject) => {
      let greeted = false;
      const fail = (e: Error): void => {
        if (greeted) return;
        greeted = true;
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(e);
      };
      const timer = setTimeout(() => fail(this.startError(`it did not answer within ${HELLO_TIMEOUT_MS / 1000} s`)), HELLO_TIMEOUT_MS);
      proc.on('error', (e: NodeJS.ErrnoException) =>
        fail(new EngineError(ErrorCodes.DeviceUnavailable, `The PyTorch engine cannot start: "${o.python}" could not be run (${e.code ?? e.message}). Set drehr.python.interpreter, or drehr.engine to onnx.`, { reason: e.code ?? e.message })),
      );
      proc.stdin.on('error', () => undefined); // EPIPE when the child dies: the exit handler deals with it
      proc.stderr.on('data', (d: Buffer) => {
        child.stderrTail = (child.stderrTail + d.toString('utf8')).slice(-4000);
      });
      proc.stdout.on('data', (d: Buffer) => {
        for (const f of reader.feed(d)) {
          if (!greeted) {
            if (f.kind === FrameKind.Hello) {
              greeted = true;
              clearTimeout(timer);
              this.hello = jsonBody(f) as unknown as TorchHello;
              resolve();
            } else {
              const j = jsonBody(f);
              fail(this.startError(typeof j.message === 'string' ? j.message : 'its first frame was not a hello', typeof j.code === 'string' ? j.code : undefined));
            }
          } else {
            this.onFrame(f);
          }
        }
      });
      proc.on('exit', (code, sig) => {
        child.exited = true;
        if (!greeted) {
          fail(this.startError(`it exited (${sig ?? `code ${code}`}) before its hello${child.stderrTail ? `: ${lastLine(child.stderrTail)}` : ''}`));
          return;
        }
        if (this.child === child) this.onCrash(code, sig, child.stderrTail);
      });
    });
  }

  private startError(reason: string, code?: string): TorchStartError {
    const missing = /No module named '?(torch|numpy|drehr_train)/.exec(reason)?.[1];
    const hint = missing
      ? ` The Python package ${missing} is missing from ${this.opts.python}${missing === 'torch' ? ' (pip install torch; Debian: apt-get install python3-torch)' : ''}.`
      : '';
    return new TorchStartError(`The PyTorch engine (${this.opts.python}) cannot start: ${reason}.${hint}`, code, reason);
  }

  private onFrame(f: Frame): void {
    const p = this.pending.get(f.id);
    if (f.kind === FrameKind.Error && f.id === FATAL_BATCH) {
      const j = jsonBody(f);
      this.log.warn(`PyTorch engine: ${typeof j.message === 'string' ? j.message : 'fatal error'}`);
      return; // the child exits; the exit handler restarts it
    }
    if (!p) return;
    this.pending.delete(f.id);
    this.restarts = 0;
    if (f.kind === FrameKind.Embeddings) {
      try {
        p.resolve(decodeEmbeddings(f));
      } catch (e) {
        p.reject(e);
      }
    } else if (f.kind === FrameKind.Error) {
      const j = jsonBody(f);
      const code = typeof j.code === 'string' ? j.code : 'error';
      p.reject(new ChildError(code, typeof j.message === 'string' ? j.message : 'the batch failed'));
    } else {
      p.reject(new ChildError('frame', `unexpected frame kind ${f.kind}`));
    }
  }

  private onCrash(code: number | null, sig: NodeJS.Signals | null, stderr: string): void {
    this.child = undefined;
    if (this.closing) return;
    this.crashes++;
    const why = `${sig ?? `exit code ${code}`}${stderr ? `; last output: ${lastLine(stderr)}` : ''}`;
    if (++this.restarts > MAX_RESTARTS) {
      this.dead = new EngineError(ErrorCodes.DeviceUnavailable, `The PyTorch engine died ${MAX_RESTARTS + 1} times without finishing a batch (${why}). Set drehr.engine to onnx, or check the GPU.`, { reason: why });
      this.log.error(this.dead.message);
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
      return;
    }
    this.log.warn(`The PyTorch engine stopped (${why}); restarting it and sending its ${this.pending.size} unanswered batches again.`);
    const delay = 250 * 2 ** (this.restarts - 1);
    this.restarting = new Promise<void>((r) => setTimeout(r, delay))
      .then(() => (this.closing ? undefined : this.spawnChild()))
      .then(
        () => {
          this.restarting = undefined;
          if (this.closing) return;
          for (const p of [...this.pending.values()].sort((a, b) => a.id - b.id)) this.write(p);
        },
        (e: unknown) => {
          this.restarting = undefined;
          this.dead = e instanceof Error ? e : new Error(String(e));
          for (const p of this.pending.values()) p.reject(this.dead);
          this.pending.clear();
        },
      );
  }

  /** Ends the child: stdin closed (it exits 0), SIGKILL after a grace period. Unanswered batches fail. */
  async close(): Promise<void> {
    this.closing = true;
    const child = this.child;
    this.child = undefined;
    const closed = new EngineError(ErrorCodes.BadRequest, 'The PyTorch engine was closed.');
    for (const p of this.pending.values()) p.reject(closed);
    this.pending.clear();
    if (!child || child.exited) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.proc.kill('SIGKILL'), CLOSE_GRACE_MS);
      child.proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.proc.stdin?.end();
    });
  }
}

function lastLine(s: string): string {
  const lines = s.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}
