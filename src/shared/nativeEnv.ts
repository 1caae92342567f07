/**
 * Environment defaults for the native libraries, which read them once when they first start their thread pools
 * or telemetry: LanceDB (lance) and onnxruntime. Apply them before either loads (entry points import
 * nativeEnvInit.ts first) and pass them to spawned children. A value the user set is never overridden.
 *
 * - LANCE_CPU_THREADS: lance sizes its CPU pool as cores minus an I/O reservation of 2, which is one thread on a
 *   2-core machine, and its full-text index build deadlocks with one thread once the posting lists need more than
 *   one output batch (a 300k-chunk table sat at 0% CPU for 15+ minutes under @lancedb/lancedb 0.31.0). At least 2.
 * - ORT_DISABLE_TELEMETRY: onnxruntime 1.29+ queues telemetry under ~/.cache/Microsoft on Linux and macOS.
 * - LANCEDB_LOG: LanceDB's Rust log filter; its default prints warnings such as "No existing dataset … it will be
 *   created" for every new index on stderr (and so in red in the extension's log). Errors still show.
 */
import * as os from 'node:os';

/** The smallest lance CPU pool that does not deadlock its FTS index build. */
export const MIN_LANCE_CPU_THREADS = 2;

export function nativeEnvDefaults(cores: number = os.availableParallelism()): Record<string, string> {
  return {
    LANCE_CPU_THREADS: String(Math.max(MIN_LANCE_CPU_THREADS, cores - 2)),
    ORT_DISABLE_TELEMETRY: '1',
    LANCEDB_LOG: 'error',
  };
}

/** Sets every default that `env` does not already have (an empty value counts as unset). Returns `env`. */
export function applyNativeEnvDefaults(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  for (const [k, v] of Object.entries(nativeEnvDefaults())) if (env[k] === undefined || env[k] === '') env[k] = v;
  return env;
}
