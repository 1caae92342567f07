/** Issue 11 (trustworthy under faults), the indexing path: stalled index builds, bad input, damage, exit codes. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { Engine } from '../../src/sidecar/engine';
import { cleanup, configFor, makeWorkspace, memoryLogger, modelDir, tempDir } from './helpers';

const log = memoryLogger();
const opts = { threads: 2, batchChunks: 40 };

describe('hardening: the indexing path', function () {
  before(function () {
    if (!fs.existsSync(path.join(modelDir, 'drehr.json'))) this.skip();
  });

  describe('an index build that makes no progress', () => {
    let ws: string;
    let restore: (() => void) | undefined;
    after(() => {
      restore?.();
      cleanup(ws);
    });

    it('is reported with what to do, not waited on, and search keeps working', async () => {
      // A table's class is LanceDB's LocalTable; make its FTS build hang at 0% CPU, as the one-thread pool did.
      const scratch = tempDir('proto');
      const db = await lancedb.connect(scratch);
      const t = await db.createTable('x', [{ a: 1 }]);
      const proto = Object.getPrototypeOf(t) as { createIndex: (...a: unknown[]) => Promise<void> };
      const real = proto.createIndex;
      proto.createIndex = () => new Promise<void>(() => undefined);
      restore = () => (proto.createIndex = real);
      t.close();
      db.close();
      cleanup(scratch);

      ws = makeWorkspace({ patients: 2 });
      const engine = await Engine.open(configFor(ws), log, { ...opts, buildStallMs: 400 });
      try {
        const r = await engine.index({ workId: 'stall' });
        const p = r.problems.find((x) => /made no progress/.test(x.message));
        assert.ok(p, JSON.stringify(r.problems));
        assert.match(p.message, /LANCE_CPU_THREADS/);
        assert.equal(r.status.hasFtsIndex, false);
        assert.match(r.status.detail ?? '', /made no progress/);
        assert.ok(r.status.chunks > 0);
        const s = await engine.search({ query: 'patient', k: 3, mode: 'hybrid' });
        assert.ok(s.hits.length > 0, 'dense search still answers');
        assert.deepEqual((await engine.search({ query: 'patient', k: 3, mode: 'bm25' })).hits, []);
      } finally {
        restore();
        restore = undefined;
        await engine.close();
      }
    });
  });
});
