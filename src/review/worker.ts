/**
 * The review worker thread (bundled by esbuild as dist/reviewWorker.js): one per open pairs file. Runs a
 * ReviewEngine (engine.ts) so the extension host's main thread never parses a pairs file or waits on the label
 * log. Messages: `{ id, req }` in; `{ id, reply }` or `{ id, error }` out, in the order received; engine events
 * (`{ event, ... }`) whenever they happen, the first page of a large file included, while it is still read.
 * Also checks the label log for other windows' decisions every POLL_MS.
 */
import { parentPort } from 'node:worker_threads';
import { ReviewEngine, type EngineRequest } from './engine';

/** How often the label log is checked for lines other windows appended. */
const POLL_MS = 700;

const port = parentPort;
if (!port) throw new Error('reviewWorker.js runs as a worker thread of the extension host');

const engine = new ReviewEngine((e) => port.postMessage(e));
let timer: ReturnType<typeof setInterval> | undefined;

port.on('message', (m: { id: number; req: EngineRequest }) => {
  try {
    const reply = engine.handle(m.req);
    port.postMessage({ id: m.id, reply });
    if (m.req.op === 'open' && !timer) timer = setInterval(() => engine.poll(), POLL_MS);
    if (m.req.op === 'close') {
      if (timer) clearInterval(timer);
      timer = undefined;
      port.close();
    }
  } catch (e) {
    // Messages name files and line numbers only (the engine's errors never carry note text).
    port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
