/**
 * Starts the PyTorch engine when drehr.engine asks for it (engineChoice.ts decides), or says why onnxruntime runs
 * instead, in one log line. A GPU that cannot be used (driver, out of memory, a CPU-only PyTorch build) falls back
 * to onnxruntime with one warning; an explicit torch choice whose Python cannot run the trainer, or an explicit
 * drehr.device = cuda that cannot be met, is an error naming the fix.
 */
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import { DEFAULT_PYTHON, decideEngine, noNvidiaHere, probeTorch } from './engineChoice';
import type { EncoderOptions } from './encoder';
import type { ModelFolder } from './modelFolder';
import { TorchStartError } from './torchEngine';
import { TorchPool, type TorchRunner } from './torchPool';

/** The running torch child, or undefined when onnxruntime is to run the model. */
export async function openTorchEncoder(model: ModelFolder, padId: number, opts: EncoderOptions, log: Logger): Promise<TorchRunner | undefined> {
  const choice = opts.engine ?? 'onnx';
  if (choice === 'onnx') return undefined;
  const python = opts.python?.trim() || DEFAULT_PYTHON;
  const probing = choice === 'auto' && opts.device !== 'cpu';
  const noGpu = probing ? noNvidiaHere() : undefined;
  const probe = probing && !noGpu ? await probeTorch(python) : undefined;
  const decision = decideEngine(choice, opts.device, python, probe, noGpu);
  if (decision.engine === 'onnx') {
    log.info(`Engine: onnx, because ${decision.reason}.`);
    return undefined;
  }
  try {
    const t = await TorchPool.start(
      { python, modelDir: model.dir, device: choice === 'auto' ? 'cuda' : opts.device, dtype: opts.torchDtype ?? 'auto', padId, threads: opts.threads, env: opts.torchEnv },
      log,
      opts.torchWorkers,
    );
    const h = t.hello;
    log.info(`Engine: torch on ${h.device}${h.gpu ? ` (${h.gpu})` : ''}, ${h.dtype}, because ${decision.reason}${h.cpu_reason ? `; on CPU because ${h.cpu_reason}` : ''}.`);
    return t;
  } catch (e) {
    const gpuTrouble = e instanceof TorchStartError && (e.childCode === 'device' || e.childCode === 'oom');
    if (choice === 'torch' && (!gpuTrouble || opts.device === 'cuda')) throw e;
    log.warn(`Engine: onnx, because the PyTorch engine cannot run here: ${errorMessage(e)}`);
    return undefined;
  }
}
