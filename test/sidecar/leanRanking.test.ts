/**
 * Rankings that read only the ids (search.ts ranks 1000 passages deep for the patients view and reads the other
 * columns only for the hits shown): same ids and scores as a full ranking, rows filled in by row id, and by chunk id
 * when the row ids went stale (a deletion and compaction in between).
 */
import * as assert from 'node:assert/strict';
import { Store } from '../../src/sidecar/store/store';
import type { ChunkRow } from '../../src/sidecar/store/schema';
import { cleanup, memoryLogger, tempDir } from './helpers';

const DIM = 8;
const WORDS = ['aspirin', 'fever', 'cough', 'rash', 'gout', 'colchicine', 'dyspnea', 'edema', 'warfarin', 'syncope'];

function rows(n: number): ChunkRow[] {
  return Array.from({ length: n }, (_, j) => {
    const words = Array.from({ length: 12 }, (_, k) => WORDS[(j * 7 + k * 3 + (j % 5) * k) % WORDS.length]);
    const vector = Float32Array.from({ length: DIM }, (_, d) => Math.sin(j * 1.3 + d * 0.7));
    return { id: `n${j}::0`, note_id: `n${j}`, patient_id: `p${j % 7}`, note_type: '', date: '', source: `p${j % 7}/n${j}.txt`, row: -1, char_start: 0, char_end: 80, text: `note ${j}: ${words.join(' ')}`, vector, file_hash: `h${j}` };
  });
}

describe('store: rankings that read only the ids', () => {
  let dir: string;
  let store: Store;
  const log = memoryLogger();
  before(async () => {
    dir = tempDir('lean');
    store = await Store.open(dir, log);
    await store.add(rows(120), DIM);
    await store.refreshIndexes(DIM);
  });
  after(() => {
    store.close();
    cleanup(dir);
  });

  it('BM25 and dense: the same chunks and scores, text left empty with a row id', async () => {
    const full = await store.bm25('colchicine gout', 50, undefined);
    const lean = await store.bm25('colchicine gout', 50, undefined, { idsOnly: true });
    assert.ok(full.length > 10, `${full.length} hits`);
    assert.deepEqual(lean.map((r) => r.chunk.id), full.map((r) => r.chunk.id));
    assert.deepEqual(lean.map((r) => r.score), full.map((r) => r.score));
    assert.ok(lean.every((r) => r.chunk.text === '' && r.chunk.source === '' && typeof r.rowId === 'bigint'));
    assert.deepEqual(lean.map((r) => [r.chunk.note_id, r.chunk.patient_id]), full.map((r) => [r.chunk.note_id, r.chunk.patient_id]));
    assert.ok(full.every((r) => r.chunk.text.length > 0 && r.rowId === undefined));
    const v = Float32Array.from({ length: DIM }, (_, d) => Math.cos(d));
    const fd = await store.dense(v, 30, undefined);
    const ld = await store.dense(v, 30, undefined, { idsOnly: true });
    assert.deepEqual(ld.map((r) => r.chunk.id), fd.map((r) => r.chunk.id));
    assert.ok(ld.every((r) => r.chunk.text === ''));
  });

  it('fillRows reads back exactly the rows a full ranking returns, in place', async () => {
    const full = await store.bm25('warfarin syncope', 40, "patient_id = 'p3'");
    const lean = await store.bm25('warfarin syncope', 40, "patient_id = 'p3'", { idsOnly: true });
    const got = await store.fillRows(lean);
    assert.equal(got.length, lean.length);
    assert.deepEqual(lean.map((r) => r.chunk), full.map((r) => r.chunk));
    // A full ranking passes through untouched.
    assert.deepEqual((await store.fillRows(full)).map((r) => r.chunk.text), full.map((r) => r.chunk.text));
  });

  it('stale row ids (rows deleted and the table compacted): read by chunk id, deleted chunks left out', async () => {
    const lean = await store.bm25('fever cough', 100, undefined, { idsOnly: true });
    const full = await store.bm25('fever cough', 100, undefined);
    const expected = new Map(full.map((r) => [r.chunk.id, r.chunk]));
    const gone = full.slice(0, 3).map((r) => r.chunk.source); // lean rows carry no source until filled
    await store.deleteSources(gone);
    await store.refreshIndexes(DIM); // optimize: compaction rewrites the fragments, so the old row ids move
    const got = await store.fillRows(lean);
    assert.equal(got.length, lean.length - 3);
    assert.ok(got.every((r) => !gone.includes(r.chunk.source)));
    for (const r of got) assert.deepEqual(r.chunk, expected.get(r.chunk.id), r.chunk.id);
  });
});
