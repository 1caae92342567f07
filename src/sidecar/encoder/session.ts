/**
 * The onnxruntime-node session with device choice. onnxruntime-node throws rather than falling back when an
 * execution provider cannot load, so 'auto' tries CUDA, then CPU with one log line.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Device } from '../../shared/protocol';
import { EngineError, errorMessage, modelInvalid } from '../errors';
import { ErrorCodes } from '../../shared/protocol';
import type { Logger } from '../log';

/** One ONNX graph of a model folder: its absolute path, its path inside the folder, and its precision. */
export interface Graph {
  path: string;
  rel: string;
  precision: 'fp32' | 'int8';
}

export interface OpenSession {
  session: ort.InferenceSession;
  device: 'cpu' | 'cuda';
  graph: Graph;
}

export function defaultThreads(): number {
  return Math.max(1, os.cpus().length);
}

/**
 * Why CUDA cannot load here, checked without trying (a failed try prints a native error to stderr), or
 * undefined when the provider libraries are present. onnxruntime-node ships without them: its installer
 * downloads them, which offline or with ONNXRUNTIME_NODE_INSTALL_CUDA=skip does not happen.
 */
export function cudaMissingReason(): string | undefined {
  if (process.platform !== 'linux' && process.platform !== 'win32') return `no CUDA build of onnxruntime for ${process.platform}`;
  let dir: string;
  try {
    dir = path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return 'onnxruntime-node is not installed';
  }
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return fs.existsSync(path.join(dir, lib)) ? undefined : `the onnxruntime CUDA provider library (${lib}) is not installed`;
}

/** Opens the graph that `pick` chooses for the device that loads (CUDA first unless device is 'cpu'). */
export async function openSession(pick: (device: 'cpu' | 'cuda') => Graph, modelDir: string, device: Device, threads: number, log: Logger): Promise<OpenSession> {
  const options = (providers: string[]): ort.InferenceSession.SessionOptions => ({
    executionProviders: providers,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    // 'all' lets onnxruntime fuse the int8 graph's DynamicQuantizeLinear + MatMulInteger + Cast + Mul (+ bias Add)
    // into DynamicQuantizeMatMul (python/drehr_train/quantize.py).
    graphOptimizationLevel: 'all',
  });
  const unavailable = (reason: string): EngineError =>
    new EngineError(
      ErrorCodes.DeviceUnavailable,
      `CUDA was asked for (drehr.device = cuda) but cannot be loaded: ${reason}. Install the onnxruntime CUDA provider libraries or set drehr.device to auto or cpu.`,
      { reason },
    );
  const missing = device === 'cpu' ? undefined : cudaMissingReason();
  if (missing && device === 'cuda') throw unavailable(missing);
  if (missing) log.info(`CUDA is not available (${missing}); the encoder runs on CPU.`);
  if (device !== 'cpu' && !missing) {
    const graph = pick('cuda');
    try {
      return { session: await ort.InferenceSession.create(graph.path, options(['cuda'])), device: 'cuda', graph };
    } catch (e) {
      const reason = firstLine(errorMessage(e));
      if (device === 'cuda') throw unavailable(reason);
      log.info(`CUDA is not available (${reason}); the encoder runs on CPU.`);
    }
  }
  const graph = pick('cpu');
  try {
    return { session: await ort.InferenceSession.create(graph.path, options(['cpu'])), device: 'cpu', graph };
  } catch (e) {
    throw modelInvalid(modelDir, graph.rel, `onnxruntime cannot load it (${firstLine(errorMessage(e))})`);
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 300);
}
