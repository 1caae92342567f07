/**
 * Which engine runs the model: `drehr.engine` auto | onnx | torch. `auto` picks torch when the configured Python
 * has PyTorch with a usable CUDA GPU, else onnx; the decision and its reason are one log line. The decision is pure
 * (decideEngine); the probe spawns the interpreter once, and not at all where no NVIDIA driver exists.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { noNvidiaReason } from '../../shared/gpu';
import type { Device, EngineChoice } from '../../shared/protocol';

export const DEFAULT_PYTHON = 'python3';
const PROBE_TIMEOUT_MS = 60_000;

export type TorchProbe = { ok: true; torch: string; cuda: boolean; gpu?: string } | { ok: false; reason: string };

export interface EngineDecision {
  engine: 'onnx' | 'torch';
  /** Why, for the one log line. */
  reason: string;
}

/** Why there is certainly no CUDA GPU on this machine (src/shared/gpu.ts), or undefined. */
export function noNvidiaHere(): string | undefined {
  return noNvidiaReason(process.platform, fs.existsSync);
}

/** The engine for a choice, a device setting and what the probe found (undefined: not probed). Pure. */
export function decideEngine(choice: EngineChoice, device: Device, python: string, probe: TorchProbe | undefined, noGpu?: string): EngineDecision {
  if (choice === 'onnx') return { engine: 'onnx', reason: 'drehr.engine is onnx' };
  if (choice === 'torch') return { engine: 'torch', reason: `drehr.engine is torch (${python})` };
  if (device === 'cpu') return { engine: 'onnx', reason: 'drehr.device is cpu, where onnxruntime is the faster engine' };
  if (noGpu) return { engine: 'onnx', reason: noGpu };
  if (!probe) return { engine: 'onnx', reason: 'PyTorch was not probed' };
  if (!probe.ok) return { engine: 'onnx', reason: `${python} cannot run PyTorch (${probe.reason})` };
  if (!probe.cuda) return { engine: 'onnx', reason: `PyTorch ${probe.torch} in ${python} sees no usable CUDA GPU` };
  return { engine: 'torch', reason: `PyTorch ${probe.torch} in ${python} sees a CUDA GPU${probe.gpu ? ` (${probe.gpu})` : ''}` };
}

const PROBE = `import json
try:
    import torch
except Exception as e:
    print(json.dumps({"ok": False, "reason": type(e).__name__ + ": " + str(e)})); raise SystemExit(0)
ok = False; gpu = None; why = None
try:
    ok = bool(torch.cuda.is_available())
    if ok:
        gpu = torch.cuda.get_device_name(0); torch.zeros(1, device="cuda")
except Exception as e:
    ok = False; why = str(e)
print(json.dumps({"ok": True, "torch": torch.__version__, "cuda": ok, "gpu": gpu, "why": why}))
`;

/** Asks the interpreter whether it has PyTorch and a usable CUDA GPU (one short child process). */
export function probeTorch(python: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<TorchProbe> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    let done = false;
    const finish = (p: TorchProbe): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(p);
    };
    const child = spawn(python, ['-c', PROBE], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ ok: false, reason: `no answer within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString('utf8')).slice(-2000)));
    child.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, reason: `it could not be started (${e.code ?? e.message})` }));
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        const j = JSON.parse(line) as { ok: boolean; torch?: string; cuda?: boolean; gpu?: string | null; reason?: string };
        if (j.ok) finish({ ok: true, torch: j.torch ?? 'unknown', cuda: j.cuda === true, ...(j.gpu ? { gpu: j.gpu } : {}) });
        else finish({ ok: false, reason: j.reason ?? 'PyTorch cannot be imported' });
      } catch {
        finish({ ok: false, reason: `exit code ${code}: ${err.trim().split('\n').pop() ?? 'no output'}` });
      }
    });
  });
}
