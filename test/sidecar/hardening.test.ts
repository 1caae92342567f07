/** Issue 11 (trustworthy under faults), the indexing path: stalled index builds, bad input, damage, exit codes. */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { Engine } from '../../src/sidecar/engine';
import { Store } from '../../src/sidecar/store/store';
import { cleanup, configFor, makeWorkspace, memoryLogger, modelDir, repoRoot, tempDir, requireModel } from './helpers';

/** The mutable CommonJS fs module (the bundled scanner reads through it), to fail one readdir as root cannot. */
const cjsFs = createRequire(__filename)('node:fs') as { readdirSync: unknown };
const log = memoryLogger();
const opts = { threads: 2, batchChunks: 40 };

async function rows(location: string): Promise<string[]> {
  const store = await Store.open(location, log);
  try {
    return (await store.allIds()).sort();
  } finally {
    store.close();
  }
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('hardening: the indexing path', function () {
  before(function () {
    requireModel();
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

  describe('scan faults', () => {
    let ws: string;
    afterEach(() => cleanup(ws));

    it('an unreadable folder is reported and keeps its rows (the run does not treat its notes as deleted)', async () => {
      ws = makeWorkspace({ patients: 3 });
      const engine = await Engine.open(configFor(ws), log, opts);
      const realReaddir = fs.readdirSync;
      try {
        await engine.index({ workId: 'a' });
        const before = await rows(engine.config.indexLocation);
        const lost = path.join(ws, 'p002');
        assert.ok(before.some((id) => id.includes('d2n002') || id.length > 0));
        // As root, permissions cannot make readdir fail; make it fail for that folder only.
        cjsFs.readdirSync = (p: fs.PathLike, ...rest: unknown[]): unknown => {
          if (path.resolve(String(p)) === lost) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
          return (realReaddir as (...a: unknown[]) => unknown)(p, ...rest);
        };
        const r = await engine.index({ workId: 'b' });
        const p = r.problems.find((x) => x.path === 'p002');
        assert.ok(p, JSON.stringify(r.problems));
        assert.match(p.message, /Cannot read this folder \(EACCES\).*rows are kept/);
        assert.equal(r.filesRemoved, 0);
        assert.equal(r.chunksRemoved, 0);
        assert.deepEqual(await rows(engine.config.indexLocation), before);
        assert.equal(r.status.notes, (await engine.status()).notes);
      } finally {
        cjsFs.readdirSync = realReaddir;
        await engine.close();
      }
    });

    it('symbolic links (to a file outside, to a folder, a loop) are skipped with one message for the run', async () => {
      ws = makeWorkspace({ patients: 1 });
      const outside = tempDir('outside');
      fs.writeFileSync(path.join(outside, 'secret.md'), 'outside the workspace');
      fs.symlinkSync(path.join(outside, 'secret.md'), path.join(ws, 'linked.md'));
      fs.symlinkSync(outside, path.join(ws, 'folderlink'));
      fs.symlinkSync(path.join(ws, 'loop'), path.join(ws, 'loop'));
      try {
        const r = await new Promise<Awaited<ReturnType<Engine['index']>>>((resolve, reject) => {
          Engine.open(configFor(ws), log, opts)
            .then((e) => e.index({ workId: 'l' }).finally(() => e.close()))
            .then(resolve, reject);
        });
        const links = r.problems.filter((x) => /symbolic link/.test(x.message));
        assert.equal(links.length, 1, JSON.stringify(r.problems));
        assert.match(links[0].message, /Skipped 3 symbolic links .*folderlink, linked\.md, loop/);
        assert.equal(links[0].severity, 'warning');
        assert.ok(!(await rows(path.join(ws, '.drehr', 'index'))).some((id) => id.includes('linked')));
      } finally {
        cleanup(outside);
      }
    });
  });

  describe('drehr index exit codes', () => {
    let ws: string;
    afterEach(() => cleanup(ws));

    it('exits 6 when some rows failed, 0 when clean, and writes problems to stderr without cell values', async () => {
      ws = tempDir('ws');
      fs.mkdirSync(path.join(ws, 'r'));
      fs.writeFileSync(path.join(ws, 'r', 'a.csv'), 'subject_id,note_id,text\ns01,m01,knee pain one\ns02,m02,"knee pain never closed\ns03,m03,knee pain three\ns04,m04,knee pain four\n');
      fs.writeFileSync(path.join(ws, 'headerless.csv'), 's1,PHRASE patient has HIV,2030-01-01\n');
      const bad = await runCli(['index', ws, '--model', modelDir]);
      assert.equal(bad.code, 6, bad.stderr);
      assert.match(bad.stdout, /Index: ready, 3 notes/);
      assert.match(bad.stderr, /r\/a\.csv row 2: Row 2 \(line 3\) has a quote that is never closed; skipped line 3, reading resumed at line 4/);
      assert.match(bad.stderr, /headerless\.csv: No note text column/);
      assert.ok(!/error:|warning:/.test(bad.stdout), 'problems are not on stdout');
      assert.ok(!/PHRASE|HIV/.test(bad.stdout + bad.stderr));
      const manifest = fs.readFileSync(path.join(ws, '.drehr', 'index', 'manifest.json'), 'utf8');
      assert.ok(!/PHRASE|HIV|knee/.test(manifest), 'no cell value in the stored problems');
      fs.rmSync(path.join(ws, 'headerless.csv'));
      fs.writeFileSync(path.join(ws, 'r', 'a.csv'), 'subject_id,note_id,text\ns01,m01,knee pain one\n');
      const clean = await runCli(['index', ws, '--model', modelDir]);
      assert.equal(clean.code, 0, clean.stderr);
    });
  });

  describe('a damaged index', () => {
    let ws: string;
    afterEach(() => cleanup(ws));

    for (const damage of ['deleted', 'truncated'] as const) {
      it(`with its largest data file ${damage} is not "ready", and index repairs it without --rebuild`, async () => {
        ws = makeWorkspace({ patients: 3 });
        const first = await (async () => {
          const e = await Engine.open(configFor(ws), log, opts);
          try {
            return await e.index({ workId: 'a' });
          } finally {
            await e.close();
          }
        })();
        const loc = path.join(ws, '.drehr', 'index');
        const clean = await rows(loc);
        assert.equal(clean.length, first.chunksAdded);
        const dataDir = path.join(loc, 'chunks.lance', 'data');
        const largest = fs
          .readdirSync(dataDir)
          .map((n) => path.join(dataDir, n))
          .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
        if (damage === 'deleted') fs.rmSync(largest);
        else fs.truncateSync(largest, Math.floor(fs.statSync(largest).size / 2));
        const engine = await Engine.open(configFor(ws), log, opts);
        try {
          const s = await engine.status();
          assert.equal(s.state, 'corrupt');
          assert.match(s.detail ?? '', new RegExp(`${damage === 'deleted' ? 'missing' : 'cut short'} \\(${path.basename(largest)}\\).*Index again to repair`));
          const r = await engine.index({ workId: 'b' });
          assert.equal(r.status.state, 'ready');
          assert.deepEqual(await rows(loc), clean);
          assert.ok((await engine.search({ query: 'pain', k: 3, mode: 'bm25' })).hits.length > 0);
        } finally {
          await engine.close();
        }
      });
    }
  });
});
