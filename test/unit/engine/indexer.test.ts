import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { globToRegExp, GlobSet } from '../../../src/shared/glob';
import { emptyManifest, fingerprintChange, planRun, readManifest, writeManifest, manifestTotals, type Manifest } from '../../../src/sidecar/indexer/manifest';
import { scopeOf } from '../../../src/sidecar/indexer/indexer';
import { acquireWriteLock, LOCK_FILE } from '../../../src/sidecar/indexer/lock';
import { ErrorCodes } from '../../../src/shared/protocol';
import { EngineError } from '../../../src/sidecar/errors';

const fp = {
  modelId: 'm1',
  chunker: 'drehr-chunker-1',
  chunking: { words: 100, overlap: 10, minWords: 50 },
  columns: { text: '', patientId: '', noteId: '', noteType: '', date: '' },
};

function entry(hash: string, size = 10, mtimeMs = 1) {
  return { hash, size, mtimeMs, chunks: 2, patients: { p1: 1 }, problems: [] };
}

describe('indexer logic', () => {
  describe('globs', () => {
    it('matches ** across folders and at the root', () => {
      assert.ok(globToRegExp('**/*.md').test('a.md'));
      assert.ok(globToRegExp('**/*.md').test('a/b/c.md'));
      assert.ok(!globToRegExp('**/*.md').test('a/b/c.mdx'));
      assert.ok(globToRegExp('**/node_modules/**').test('x/node_modules/y/z.md'));
      assert.ok(globToRegExp('notes/*.{txt,md}').test('notes/a.txt'));
      assert.ok(!globToRegExp('notes/*.txt').test('notes/a/b.txt'));
      assert.ok(globToRegExp('a?.txt').test('ab.txt'));
      assert.ok(globToRegExp('a+b (1).txt').test('a+b (1).txt'));
    });
    it('knows when a folder is excluded as a whole', () => {
      const ex = new GlobSet(['**/.git/**', '**/README.md']);
      assert.ok(ex.coversFolder('.git'));
      assert.ok(ex.coversFolder('sub/.git'));
      assert.ok(!ex.coversFolder('sub'));
    });
  });

  describe('manifest plan', () => {
    const m: Manifest = { ...emptyManifest(fp), files: { 'a.md': entry('h1'), 'b.md': entry('h2'), 'gone.md': entry('h3') } };
    it('sorts files into unchanged, to check and removed', () => {
      const plan = planRun(m, [
        { rel: 'a.md', size: 10, mtimeMs: 1 },
        { rel: 'b.md', size: 11, mtimeMs: 1 },
        { rel: 'new.md', size: 1, mtimeMs: 1 },
      ], () => true);
      assert.deepEqual(plan.unchanged.map((f) => f.rel), ['a.md']);
      assert.deepEqual(plan.check.map((f) => f.rel), ['b.md', 'new.md']);
      assert.deepEqual(plan.removed, ['gone.md']);
    });
    it('re-checks pending files even when they look unchanged', () => {
      const plan = planRun({ ...m, pending: ['a.md', 'ghost.md'] }, [{ rel: 'a.md', size: 10, mtimeMs: 1 }], () => true);
      assert.deepEqual(plan.check.map((f) => f.rel), ['a.md']);
      assert.deepEqual(plan.removed, ['b.md', 'ghost.md', 'gone.md']);
    });
    it('removes only within the scope of a scoped run', () => {
      const plan = planRun(m, [], (rel) => rel === 'gone.md');
      assert.deepEqual(plan.removed, ['gone.md']);
    });
    it('detects model, chunking and column changes', () => {
      assert.equal(fingerprintChange(emptyManifest(fp), fp), undefined);
      assert.match(String(fingerprintChange(emptyManifest(fp), { ...fp, modelId: 'm2' })), /model changed/);
      assert.match(String(fingerprintChange(emptyManifest(fp), { ...fp, precision: 'int8' })), /precision changed \(fp32 → int8\)/);
      assert.equal(fingerprintChange(emptyManifest(fp), { ...fp, precision: 'fp32' }), undefined, 'a manifest without precision was written by fp32');
      assert.match(String(fingerprintChange(emptyManifest(fp), { ...fp, chunking: { ...fp.chunking, words: 50 } })), /chunking/);
      assert.match(String(fingerprintChange(emptyManifest(fp), { ...fp, columns: { ...fp.columns, text: 'body' } })), /column/);
    });
    it('sums notes, chunks and patients', () => {
      assert.deepEqual(manifestTotals(m), { notes: 3, chunks: 6, patients: 1 });
    });
  });

  describe('scope', () => {
    it('covers everything without paths', () => {
      assert.ok(scopeOf('/w', undefined).covers('x/y.md'));
    });
    it('covers files and folders given', () => {
      const s = scopeOf('/w', ['/w/p1', '/w/q.md']);
      assert.ok(s.covers('p1/a.md'));
      assert.ok(s.covers('q.md'));
      assert.ok(!s.covers('p10/a.md'));
      assert.ok(!s.covers('q.mdx'));
    });
  });

  describe('files on disk', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-unit-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('writes the manifest atomically and reads it back', () => {
      const m = { ...emptyManifest(fp), files: { 'a.md': entry('h') } };
      writeManifest(dir, m);
      assert.deepEqual(fs.readdirSync(dir), ['manifest.json']);
      const r = readManifest(dir);
      assert.equal(r.state, 'ok');
      assert.deepEqual(r.state === 'ok' && r.manifest.files, m.files);
    });
    it('reports a missing and a garbled manifest', () => {
      assert.equal(readManifest(dir).state, 'missing');
      fs.writeFileSync(path.join(dir, 'manifest.json'), '{"format": 1, "files": {');
      assert.equal(readManifest(dir).state, 'corrupt');
    });
    it('locks once, refuses a second writer, and releases', () => {
      const release = acquireWriteLock(dir);
      assert.throws(
        () => acquireWriteLock(dir),
        (e: unknown) => e instanceof EngineError && e.code === ErrorCodes.IndexLocked && (e.data as { holderPid: number }).holderPid === process.pid,
      );
      release();
      assert.ok(!fs.existsSync(path.join(dir, LOCK_FILE)));
      acquireWriteLock(dir)();
    });
    it('takes over a lock whose process is dead', () => {
      fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), since: '' }));
      const release = acquireWriteLock(dir);
      assert.equal(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
      release();
    });
    it('respects a live lock of another process', () => {
      fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: os.hostname(), since: '' }));
      assert.throws(() => acquireWriteLock(dir), /Another process/);
    });
  });
});
