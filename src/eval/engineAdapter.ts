/**
 * The real engine for the evaluation: the sidecar's Engine (src/sidecar/engine.ts) in this process, exactly
 * as `drehr search` uses it. Loaded lazily by cli.ts, so unit tests never pull onnxruntime or LanceDB.
 */
import type { EngineConfig } from '../shared/protocol';
import { Engine } from '../sidecar/engine';
import type { Logger } from '../sidecar/log';
import type { EvalEngine } from './evaluate';
import { Cancelled } from './run';

/** Warnings and errors to stderr; info only with DREHR_DEBUG (stderr carries JSON progress lines with --json). */
const quietLogger: Logger = {
  info: (m) => {
    if (process.env.DREHR_DEBUG) process.stderr.write(`[drehr] ${m}\n`);
  },
  warn: (m) => process.stderr.write(`[drehr] warning: ${m}\n`),
  error: (m) => process.stderr.write(`[drehr] error: ${m}\n`),
  debug: () => {},
};

export async function openEngine(config: EngineConfig): Promise<EvalEngine> {
  const engine = await Engine.open(config, quietLogger);
  const m = engine.model;
  return {
    model: { id: m.id, name: m.name, dir: m.dir, trained: m.trained, precision: m.precision },
    async index(onProgress, signal) {
      const r = await engine.index({ workId: 'eval' }, (p) => onProgress(p.done, p.total), signal);
      if (r.cancelled) throw new Cancelled();
      return { problems: r.problems };
    },
    search: (params) => engine.search(params),
    close: () => engine.close(),
  };
}
