/**
 * Spawning and killing the sidecar process. `process.execPath` with ELECTRON_RUN_AS_NODE=1 is plain Node in
 * desktop VS Code (Electron) and in code-server (Node). On POSIX the sidecar leads its own process group, so
 * killing the group also ends whatever it spawned (a Python encoder); the sidecar exits by itself when its
 * stdin closes, which covers a host that dies without disposing.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { applyNativeEnvDefaults } from '../shared/nativeEnv';

export function spawnSidecar(execPath: string, script: string, extraEnv: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  // ORT_DISABLE_TELEMETRY and a safe LANCE_CPU_THREADS from the start (the sidecar sets them too, first thing).
  const env: NodeJS.ProcessEnv = applyNativeEnvDefaults({ ...process.env, ...extraEnv, ELECTRON_RUN_AS_NODE: '1' });
  // An inherited --inspect or --require from the host's NODE_OPTIONS would break the child.
  delete env.NODE_OPTIONS;
  return spawn(execPath, [script], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
    detached: process.platform !== 'win32',
    windowsHide: true,
  });
}

/** Sends `signal` to the process and its descendants. Never throws. */
export function killTree(pid: number | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (pid === undefined) return;
  try {
    if (process.platform === 'win32') {
      spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { windowsHide: true, stdio: 'ignore' }).on('error', () => undefined);
      return;
    }
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
