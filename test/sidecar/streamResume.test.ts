/**
 * A streamed CSV export (MIMIC-shaped, bench/mimicCsv.ts) indexed by the CLI, killed with SIGKILL inside the file
 * at seeded write batches, then run again: the run continues inside the file (manifest `partial`) and the table ends
 * with the same row ids and vectors as an uninterrupted run, no duplicate and none missing. A file changed after a
 * kill starts from zero. The tiny untrained fixture model keeps it quick; progress comes by bytes.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { readManifest } from '../../src/sidecar/indexer/manifest';
import { iterateChunks } from '../../src/sidecar/notes/chunker';
import { streamNotes } from '../../src/sidecar/notes/stream';
import { defaultEngineConfig } from '../../src/sidecar/defaults';
import { MIMIC_HEADER, mimicRows } from '../../bench/mimicCsv';
import { cleanup, exited, onJsonLines, repoRoot, tempDir } from './helpers';

const cliJs = path.join(repoRoot, 'dist', 'cli.js');
const model = path.join(repoRoot, 'test', 'fixtures', 'untrained-model');
const BATCH = 64;

interface Row {
  id: string;
  text: string;
  row: number;
  vector: number[];
}

async function rowsOf(ws: string): Promise<Row[]> {
  const db = await lancedb.connect(path.join(ws, '.drehr', 'index'));
  try {
    const t = await db.openTable('chunks');
    const rows = (await t.query().select(['id', 'text', 'row', 'vector']).toArray()) as Array<{ id: string; text: string; row: number; vector: { toArray(): Float32Array } }>;
    t.close();
    return rows.map((r) => ({ id: r.id, text: r.text, row: r.row, vector: [...r.vector.toArray()] })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  } finally {
    db.close();
  }
}


interface Run {
  outcome: 'killed' | number | null;
  readBytes: Array<{ done: number; total: number }>;
}

/** `drehr index --progress json`; with `killAfter`, SIGKILL once that many write batches have completed. */
async function runIndex(ws: string, killAfter?: number): Promise<Run> {
  const child = spawn(process.execPath, [cliJs, 'index', ws, '--model', model, '--batch-chunks', String(BATCH), '--threads', '1', '--progress', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let writes = 0;
  let killed = false;
  const readBytes: Run['readBytes'] = [];
  onJsonLines(child.stderr, (o) => {
    const p = o as { phase: string; done: number; total: number; unit?: string };
    if (p.phase === 'read' && p.unit === 'bytes') readBytes.push({ done: p.done, total: p.total });
    if (p.phase === 'write' && p.total > 0 && p.done === p.total) writes++;
    if (killAfter !== undefined && !killed && writes >= killAfter) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  const code = await exited(child);
  return { outcome: killed ? 'killed' : code, readBytes };
}

/** A workspace holding one export of `rows` MIMIC-shaped discharge notes (about 4 KB each). */
function exportWorkspace(seed: number, rows: number): string {
  const ws = tempDir('stream');
  fs.mkdirSync(path.join(ws, 'mimic'));
  fs.writeFileSync(path.join(ws, 'mimic', 'discharge.csv'), MIMIC_HEADER + '\n' + mimicRows(seed, 0, rows, 2));
  return ws;
}

/** The chunk ids and texts the export should give (the streaming reader and the chunker, in-process). */
async function expectedChunks(ws: string): Promise<string[]> {
  const cfg = defaultEngineConfig(ws, model, {});
  const out: string[] = [];
  for await (const item of streamNotes(path.join(ws, 'mimic', 'discharge.csv'), 'mimic/discharge.csv', { columns: cfg.columns, maxNoteBytes: cfg.maxFileBytes })) {
    if (item.kind === 'note') for (const c of iterateChunks(item.note, cfg.chunking)) out.push(`${c.id} ${c.text}`);
  }
  return out.sort();
}

function assertSameRows(got: Row[], want: Row[]): void {
  assert.equal(new Set(got.map((r) => r.id)).size, got.length, 'no duplicate ids');
  assert.deepEqual(
    got.map((r) => `${r.id} ${r.row} ${r.text}`),
    want.map((r) => `${r.id} ${r.row} ${r.text}`),
  );
  for (let i = 0; i < got.length; i++) {
    const d = Math.max(...got[i].vector.map((v, j) => Math.abs(v - want[i].vector[j])));
    assert.ok(d < 1e-5, `${got[i].id}: vectors differ by ${d}`);
  }
}

describe('a streamed export killed inside the file resumes there (CLI, tiny model)', function () {
  before(function () {
    if (!fs.existsSync(cliJs)) throw new Error(`${cliJs} is missing: build first (node esbuild.mjs)`);
  });

  it('three SIGKILLs at seeded write batches, then a normal run: the same rows and vectors as one run, no duplicates', async function () {
    this.timeout(600_000);
    const rows = 250;
    const clean = exportWorkspace(5, rows);
    const ws = exportWorkspace(5, rows);
    try {
      const first = await runIndex(clean);
      assert.equal(first.outcome, 0);
      const expected = await rowsOf(clean);
      assert.deepEqual(
        expected.map((r) => `${r.id} ${r.text}`),
        await expectedChunks(clean),
      );
      const chunks = expected.length;
      assert.ok(chunks > 6 * BATCH, `${chunks} chunks`);
      // Progress by bytes: the ~1 MB export is read with 'read' updates up to its size.
      const size = fs.statSync(path.join(clean, 'mimic', 'discharge.csv')).size;
      assert.ok(first.readBytes.length >= 2 && first.readBytes.every((p) => p.total === size), JSON.stringify(first.readBytes.slice(0, 3)));
      assert.equal(first.readBytes[first.readBytes.length - 1].done, size);

      let resumedAt = 0;
      const manifestFile = path.join(ws, '.drehr', 'index', 'manifest.json');
      let saved = '';
      for (const [round, killAfter] of [2, 3, 2].entries()) {
        if (round === 2) {
          // As if round 1 had been killed after its table writes but before any was recorded: its rows are in the
          // table, the manifest says the file got only as far as round 0 left it. They must not come back twice.
          fs.writeFileSync(manifestFile, saved);
          resumedAt = 0;
        }
        const r = await runIndex(ws, killAfter);
        assert.equal(r.outcome, 'killed', `a run over what is left (${killAfter} batches of ${BATCH}) ends before the file does`);
        const m = readManifest(path.join(ws, '.drehr', 'index'));
        assert.ok(m.state === 'ok');
        assert.deepEqual(m.manifest.pending, ['mimic/discharge.csv']);
        const partial = m.manifest.partial?.['mimic/discharge.csv'];
        assert.ok(partial, 'the manifest records how far the file got');
        assert.ok(partial.offset > resumedAt && partial.offset < size && partial.row > 0, JSON.stringify({ ...partial, problems: undefined }));
        resumedAt = partial.offset;
        if (round === 0) saved = fs.readFileSync(manifestFile, 'utf8');
        // Every row recorded as done is in the table; rows past it (a batch written, not recorded) may be too.
        const have = new Set((await rowsOf(ws)).map((x) => x.row));
        for (let row = 1; row <= partial.row; row++) assert.ok(have.has(row), `row ${row} is recorded but has no chunks`);
      }
      const last = await runIndex(ws);
      assert.equal(last.outcome, 0);
      assert.ok(last.readBytes.length > 0 && last.readBytes[0].done >= resumedAt, 'the last run read on from where the file got, not from its start');
      assertSameRows(await rowsOf(ws), expected);
      const m = readManifest(path.join(ws, '.drehr', 'index'));
      assert.ok(m.state === 'ok');
      assert.deepEqual(m.manifest.pending, []);
      assert.equal(m.manifest.partial, undefined);
      assert.equal(m.manifest.files['mimic/discharge.csv'].chunks, chunks);
      const cleanManifest = readManifest(path.join(clean, '.drehr', 'index'));
      assert.ok(cleanManifest.state === 'ok');
      assert.deepEqual(m.manifest.files['mimic/discharge.csv'].patients, cleanManifest.manifest.files['mimic/discharge.csv'].patients);
    } finally {
      cleanup(clean, ws);
    }
  });

  it('a file changed after a kill starts from zero: none of its old rows are left', async function () {
    this.timeout(300_000);
    const ws = exportWorkspace(8, 120);
    try {
      assert.equal((await runIndex(ws, 2)).outcome, 'killed');
      const m = readManifest(path.join(ws, '.drehr', 'index'));
      assert.ok(m.state === 'ok' && m.manifest.partial?.['mimic/discharge.csv']);
      // Other text from the first row on (another seed), so every old row would be wrong.
      fs.writeFileSync(path.join(ws, 'mimic', 'discharge.csv'), MIMIC_HEADER + '\n' + mimicRows(9, 0, 100, 2));
      assert.equal((await runIndex(ws)).outcome, 0);
      const got = (await rowsOf(ws)).map((r) => `${r.id} ${r.text}`);
      assert.deepEqual(got, await expectedChunks(ws));
    } finally {
      cleanup(ws);
    }
  });
});
