/**
 * Fault injection (issue 11, "Shown by"): the CLI killed with SIGKILL at seeded points of an index run over a few
 * hundred small notes, ten times in a row, then a normal run: the rows (ids and text) equal a clean run's each
 * time. And bounded batches: a huge note does not hold back the small files before it.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { Engine, type ProgressUpdate } from '../../src/sidecar/engine';
import { readManifest } from '../../src/sidecar/indexer/manifest';
import { cleanup, configFor, exited, memoryLogger, modelDir, onJsonLines, repoRoot, tempDir, requireModel } from './helpers';

const cliJs = path.join(repoRoot, 'dist', 'cli.js');
const log = memoryLogger();

/** Every row as `id text`, sorted. */
async function rowsOf(location: string): Promise<string[]> {
  const db = await lancedb.connect(location);
  try {
    const t = await db.openTable('chunks');
    const rows = (await t.query().select(['id', 'text']).toArray()) as Array<{ id: string; text: string }>;
    t.close();
    return rows.map((r) => `${r.id} ${r.text}`).sort();
  } finally {
    db.close();
  }
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` short notes in `n / 10` patient folders, with seeded words (one chunk each). */
function notesWorkspace(n: number, seed: number): string {
  const ws = tempDir('faults');
  const r = rng(seed);
  const vocab = ['pain', 'fever', 'cough', 'knee', 'chest', 'dyspnea', 'HTN', 'gout', 'sepsis', 'rash', 'nausea', 'CHF', 'COPD', 'edema', 'syncope'];
  for (let i = 0; i < n; i++) {
    const dir = path.join(ws, `p${String(Math.floor(i / 10)).padStart(3, '0')}`);
    fs.mkdirSync(dir, { recursive: true });
    const words = Array.from({ length: 20 + Math.floor(r() * 40) }, () => vocab[Math.floor(r() * vocab.length)]);
    fs.writeFileSync(path.join(dir, `n${i}.txt`), `Note ${i}: ${words.join(' ')}.`);
  }
  return ws;
}


/**
 * Runs `drehr index` with `--progress json`; with `killAfter`, sends SIGKILL once that many write batches have
 * completed (a `write` update with done = total > 0), so the kill lands at a seeded point of the run whatever the
 * machine's speed. Returns 'killed', or the exit code of a run that was not killed.
 */
async function runIndex(ws: string, killAfter?: number): Promise<'killed' | number | null> {
  const child = spawn(process.execPath, [cliJs, 'index', ws, '--model', modelDir, '--batch-chunks', '8', '--threads', '1', '--progress', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let writes = 0;
  let killed = false;
  onJsonLines(child.stderr, (o) => {
    const p = o as { phase: string; done: number; total: number };
    if (p.phase === 'write' && p.total > 0 && p.done === p.total) writes++;
    if (killAfter !== undefined && !killed && writes >= killAfter) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  const code = await exited(child);
  return killed ? 'killed' : code;
}

describe('fault injection: the CLI killed at random points', function () {
  before(function () {
    requireModel();
  });

  it('ten SIGKILLs at seeded points, each followed by a check, then a normal run: the same rows as a clean run', async function () {
    this.timeout(600_000);
    const notes = 200;
    const clean = notesWorkspace(notes, 7);
    const ws = notesWorkspace(notes, 7);
    try {
      assert.equal(await runIndex(clean), 0);
      const expected = await rowsOf(path.join(clean, '.drehr', 'index'));
      assert.equal(expected.length, notes);
      const r = rng(11);
      let kills = 0;
      for (let round = 0; round < 10; round++) {
        // A run over what is left writes batches of 8 chunks: kill after 1 to 6 of them (the first rounds leave
        // plenty; once few notes are left a round may finish, which is checked too).
        const outcome = await runIndex(ws, 1 + Math.floor(r() * 6));
        if (outcome === 'killed') kills++;
        else assert.equal(outcome, 0);
        // Whatever a killed run left, the manifest is whole JSON and every recorded file has all its rows.
        const m = readManifest(path.join(ws, '.drehr', 'index'));
        assert.notEqual(m.state, 'corrupt', `round ${round}`);
      }
      assert.ok(kills >= 5, `only ${kills} of 10 runs were killed before they finished`);
      assert.equal(await runIndex(ws), 0);
      assert.deepEqual(await rowsOf(path.join(ws, '.drehr', 'index')), expected);
    } finally {
      cleanup(clean, ws);
    }
  });
});

describe('bounded write batches', function () {
  before(function () {
    requireModel();
  });

  it('a huge note is written in bounded batches; cancelling inside it keeps the small files before it, and the next run resumes it', async function () {
    this.timeout(600_000);
    const ws = tempDir('huge');
    try {
      for (const n of ['a1', 'a2', 'a3']) {
        fs.mkdirSync(path.join(ws, n));
        fs.writeFileSync(path.join(ws, n, 'small.txt'), `Small note ${n}: knee pain and swelling after a fall.`);
      }
      fs.mkdirSync(path.join(ws, 'z9'));
      const words = Array.from({ length: 90 * 40 }, (_, i) => `w${i % 997}`);
      fs.writeFileSync(path.join(ws, 'z9', 'huge.txt'), words.join(' ')); // 40 chunks of 100 words every 90
      const batch = 8;
      const engine = await Engine.open(configFor(ws), log, { threads: 2, batchChunks: batch });
      const ac = new AbortController();
      const embedTotals: number[] = [];
      let hugeWrites = 0;
      const onProgress = (p: ProgressUpdate): void => {
        if (p.phase === 'write' && p.done === 0) embedTotals.push(p.total);
        if (p.phase === 'write' && p.done > 0 && p.message === 'z9/huge.txt' && ++hugeWrites === 2) ac.abort();
      };
      let r;
      try {
        r = await engine.index({ workId: 'h' }, onProgress, ac.signal);
      } finally {
        await engine.close();
      }
      assert.equal(r.cancelled, true);
      assert.ok(embedTotals.length > 0 && embedTotals.every((t) => t <= batch), `batches: ${embedTotals.join(',')}`);
      const m = readManifest(path.join(ws, '.drehr', 'index'));
      assert.ok(m.state === 'ok');
      assert.deepEqual(Object.keys(m.manifest.files).sort(), ['a1/small.txt', 'a2/small.txt', 'a3/small.txt']);
      assert.deepEqual(m.manifest.pending, ['z9/huge.txt']);
      const partial = await rowsOf(path.join(ws, '.drehr', 'index'));
      const hugeRows = partial.filter((x) => x.startsWith('z9/huge::')).length;
      assert.ok(hugeRows > 0 && hugeRows < 40, `${hugeRows} rows of the huge note`);

      const again = await Engine.open(configFor(ws), log, { threads: 2, batchChunks: batch });
      let embedded = 0;
      try {
        const r2 = await again.index({ workId: 'h2' }, (p) => {
          if (p.phase === 'write' && p.done === 0) embedded += p.total;
        });
        assert.equal(r2.status.state, 'ready');
        assert.equal(r2.chunksRemoved, 0, 'the rows already written are kept');
        assert.equal(embedded, 40 - hugeRows, 'only the rest of the huge note is embedded');
      } finally {
        await again.close();
      }
      const all = await rowsOf(path.join(ws, '.drehr', 'index'));
      assert.equal(all.filter((x) => x.startsWith('z9/huge::')).length, 40);
      assert.equal(new Set(all.map((x) => x.split(' ')[0])).size, all.length, 'no duplicate ids');
    } finally {
      cleanup(ws);
    }
  });
});
