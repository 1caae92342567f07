/**
 * The real engine for the evaluation: the sidecar's Engine (src/sidecar/engine.ts), run in this process
 * (the CLI's), exactly as `drehr search` uses it. Loaded lazily by cli.ts so unit tests never pull
 * onnxruntime or LanceDB.
 */
import type { EngineConfig } from '../shared/protocol';
import type { EvalEngine } from './evaluate';

export async function openEngine(_config: EngineConfig): Promise<EvalEngine> {
  throw new Error('The search engine (src/sidecar/engine.ts) is not part of this build yet.');
}
