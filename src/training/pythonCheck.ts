/**
 * Runs `<python> -m drehr_train check` with the trainer on PYTHONPATH and reads its answer (interpreter.ts).
 * Node only (no vscode): the child is killed after a time limit and when the caller aborts.
 */
import { spawn } from 'node:child_process';
import { interpretCheck, type CheckResult, type CheckRun } from './interpreter';

const MAX_OUTPUT = 64 * 1024;

export interface CheckOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export function runProcess(command: string, args: string[], o: CheckOptions): Promise<CheckRun> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const finish = (r: CheckRun): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const child = spawn(command, args, { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs ?? 30_000);
    const onAbort = (): void => {
      child.kill('SIGKILL');
    };
    o.signal?.addEventListener('abort', onAbort);
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += d.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) => finish({ spawnError: e.code ?? e.message, exitCode: null, stdout, stderr }));
    child.on('close', (code) => finish({ exitCode: code, timedOut, stdout, stderr }));
  });
}

/** Asks the trainer whether it can run with this interpreter. */
export async function checkTrainer(python: string, o: CheckOptions): Promise<CheckResult> {
  const run = await runProcess(python, ['-m', 'drehr_train', 'check'], o);
  return interpretCheck(python, run);
}
