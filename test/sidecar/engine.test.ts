import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes, type IndexResult } from '../../src/shared/protocol';
import { Engine, type ProgressUpdate } from '../../src/sidecar/engine';
import { EngineError } from '../../src/sidecar/errors';
import { LOCK_FILE } from '../../src/sidecar/indexer/lock';
import { Store } from '../../src/sidecar/store/store';
import { cleanup, configFor, requireModel, copyModelWithId, makeWorkspace, memoryLogger, tempDir } from './helpers';

const log = memoryLogger();
/** Shorter than the query max length, so as a query it embeds exactly like the passage. */
const SHORT_NOTE = 'Atrial fibrillation, started apixaban.';
const opts = { threads: 2, batchChunks: 40 };

function hasCode(code: ErrorCodes) {
  return (e: unknown): boolean => e instanceof EngineError && e.code === code;
}

async function ids(location: string): Promise<string[]> {
  const store = await Store.open(location, log);
  try {
    return (await store.allIds()).sort();
  } finally {
    store.close();
  }
}

async function indexOnce(ws: string, overrides = {}, params = {}): Promise<IndexResult> {
  const engine = await Engine.open(configFor(ws, overrides), log, opts);
  try {
    return await engine.index({ workId: 't', ...params });
  } finally {
    await engine.close();
  }
}

describe('engine: index and search (demo model, LanceDB)', function () {
  before(function () {
    requireModel();
  });

  describe('a demo workspace', () => {
    let ws: string;
    let engine: Engine;
    let first: IndexResult;
    const phases = new Set<string>();
    before(async () => {
      ws = makeWorkspace({ patients: 12, csvRows: 3 });
      fs.mkdirSync(path.join(ws, 'p900'));
      fs.writeFileSync(path.join(ws, 'p900', 'short.txt'), SHORT_NOTE);
      engine = await Engine.open(configFor(ws), log, opts);
      first = await engine.index({ workId: 'a' }, (p) => phases.add(p.phase));
    });
    after(async () => {
      await engine?.close();
      cleanup(ws);
    });

    it('indexes every note with progress through scan, embed, write and index', async () => {
      assert.equal(first.filesScanned, 14);
      assert.equal(first.filesIndexed, 14);
      assert.equal(first.problems.length, 0);
      assert.equal(first.status.state, 'ready');
      assert.equal(first.status.notes, 16);
      assert.equal(first.status.chunks, first.chunksAdded);
      assert.ok(first.status.hasFtsIndex);
      assert.deepEqual([...phases].sort(), ['embed', 'index', 'scan', 'write']);
      assert.equal((await ids(engine.config.indexLocation)).length, first.chunksAdded);
    });

    it('finds an exact phrase at rank 1 (bm25, and high in hybrid) and a note own text at rank 1 (dense)', async () => {
      const file = fs.readFileSync(path.join(ws, 'p003', 'virtassist-d2n003.md'), 'utf8');
      const body = file.slice(file.indexOf('\n---\n') + 5);
      const phrase = body.split(/\s+/).slice(40, 52).join(' ');
      const r = await engine.search({ query: phrase, k: 5, mode: 'bm25' });
      assert.equal(r.hits[0].noteId, 'virtassist-d2n003');
      const h = r.hits[0];
      assert.ok(h.highlights.length > 0);
      assert.ok(file.slice(h.charStart, h.charEnd).split(/\s+/).join(' ').includes(phrase));
      // The fixture model is untrained, so dense ranks are arbitrary: hybrid must still hold the BM25 winner high.
      const hybrid = await engine.search({ query: phrase, k: 5, mode: 'hybrid' });
      const fused = hybrid.hits.find((x) => x.chunkId === h.chunkId);
      assert.ok(fused && fused.matchedBy.includes('bm25'));
      const dense = await engine.search({ query: SHORT_NOTE, k: 3, mode: 'dense' });
      assert.equal(dense.hits[0].chunkId, 'p900/short::0');
      assert.ok(dense.hits[0].score > 0.9999);
      assert.ok(dense.hits[1].score < dense.hits[0].score);
    });

    it('restricts to one patient and to one note', async () => {
      const r = await engine.search({ query: 'blood pressure', k: 20, mode: 'hybrid', patientId: 'p002' });
      assert.ok(r.hits.length > 0);
      assert.ok(r.hits.every((h) => h.patientId === 'p002'));
      const n = await engine.search({ query: 'pain', k: 50, mode: 'dense', noteId: 'virtassist-d2n001' });
      assert.ok(n.hits.length > 0 && n.hits.every((h) => h.noteId === 'virtassist-d2n001'));
      const none = await engine.search({ query: 'pain', k: 5, mode: 'hybrid', patientId: "no'body" });
      assert.equal(none.hits.length, 0);
    });

    it('returns CSV rows with their row and the note text', async () => {
      const r = await engine.search({ query: 'colchicine gout', k: 3, mode: 'bm25' });
      const hit = r.hits.find((h) => h.sourcePath === 'exports/aci_notes.csv');
      assert.ok(hit && hit.row === 1);
      const note = await engine.getNote(hit.noteId);
      assert.equal(note.row, 1);
      const inRange = note.text.slice(hit.charStart, hit.charEnd).split(/\s+/).join(' ');
      assert.ok(inRange.includes(hit.snippet.replace(/^… /, '').replace(/ …$/, '')));
    });

    it('getChunks returns chunks by id in the order asked, null for an unknown id (pairs review)', async () => {
      const r = await engine.search({ query: 'colchicine gout', k: 2, mode: 'bm25' });
      const [a, b] = r.hits;
      const got = await engine.getChunks([b.chunkId, 'no-such-chunk', a.chunkId, b.chunkId]);
      assert.equal(got.length, 4);
      assert.equal(got[0]?.chunkId, b.chunkId);
      assert.equal(got[1], null);
      assert.equal(got[2]?.chunkId, a.chunkId);
      assert.equal(got[3]?.text, got[0]?.text);
      assert.equal(got[0]?.source, b.sourcePath);
      assert.equal(got[0]?.charStart, b.charStart);
      assert.equal(got[0]?.row, b.row);
      assert.ok(got[0]!.text.length > 0);
    });

    it('lists patients with note counts', () => {
      const ps = engine.listPatients();
      assert.equal(ps.length, 16);
      assert.deepEqual(ps.find((p) => p.patientId === 'p001'), { patientId: 'p001', notes: 1 });
    });

    it('rejects bad search parameters', async () => {
      await assert.rejects(engine.search({ query: '  ', k: 5, mode: 'hybrid' }), hasCode(ErrorCodes.BadRequest));
      await assert.rejects(engine.search({ query: 'x', k: 0, mode: 'hybrid' }), hasCode(ErrorCodes.BadRequest));
    });

    it('embeds nothing on a second run', async () => {
      const r = await engine.index({ workId: 'b' });
      assert.equal(r.filesIndexed, 0);
      assert.equal(r.chunksAdded, 0);
      assert.equal(r.filesUnchanged, 14);
    });

    it('re-embeds only a changed file, and not a touched one', async () => {
      const f = path.join(ws, 'p001', 'virtassist-d2n001.md');
      fs.appendFileSync(f, '\nAddendum: patient called about her lisinopril refill.\n');
      fs.utimesSync(path.join(ws, 'p002', 'virtassist-d2n002.md'), new Date(), new Date(Date.now() + 5000));
      const before = await ids(engine.config.indexLocation);
      const r = await engine.index({ workId: 'c' });
      assert.equal(r.filesIndexed, 1);
      assert.equal(r.filesUnchanged, 13);
      const after = await ids(engine.config.indexLocation);
      assert.deepEqual(after, before, 'an appended sentence keeps the chunk ids');
      assert.equal(new Set(after).size, after.length);
    });

    it('leaves no rows of a deleted file', async () => {
      fs.rmSync(path.join(ws, 'p004'), { recursive: true });
      const r = await engine.index({ workId: 'd' });
      assert.equal(r.filesRemoved, 1);
      assert.ok(r.chunksRemoved > 0);
      assert.ok(!(await ids(engine.config.indexLocation)).some((i) => i.startsWith('virtassist-d2n004::')));
      const s = await engine.search({ query: 'pain', k: 100, mode: 'bm25', patientId: 'p004' });
      assert.equal(s.hits.length, 0);
    });

    it('handles scoped runs: a new file, and a folder that no longer exists', async () => {
      fs.mkdirSync(path.join(ws, 'p777'));
      fs.writeFileSync(path.join(ws, 'p777', 'new.txt'), 'Patient with HTN and new onset atrial fibrillation started on apixaban.');
      const r = await engine.index({ workId: 'e', paths: [path.join(ws, 'p777', 'new.txt')] });
      assert.equal(r.filesScanned, 1);
      assert.equal(r.chunksAdded, 1);
      fs.rmSync(path.join(ws, 'p777'), { recursive: true });
      const r2 = await engine.index({ workId: 'f', paths: [path.join(ws, 'p777')] });
      assert.equal(r2.filesRemoved, 1);
      assert.ok(!(await ids(engine.config.indexLocation)).includes('p777/new::0'));
    });
  });

  it('re-embeds everything when the model changes, and the status says stale before that', async () => {
    const ws = makeWorkspace({ patients: 3 });
    const other = copyModelWithId('drehr-test-other-model');
    try {
      const r1 = await indexOnce(ws);
      const e2 = await Engine.open(configFor(ws, { modelDir: other }), log, opts);
      try {
        const s = await e2.status();
        assert.equal(s.state, 'stale');
        assert.ok(s.modelMismatch);
        const r2 = await e2.index({ workId: 'x' });
        assert.equal(r2.filesIndexed, 3);
        assert.equal(r2.chunksAdded, r1.chunksAdded);
        assert.equal(r2.status.modelId, 'drehr-test-other-model');
        assert.equal(r2.status.chunks, r1.chunksAdded);
      } finally {
        await e2.close();
      }
      const r3 = await indexOnce(ws, { chunking: { words: 50, overlap: 5, minWords: 20 } });
      assert.equal(r3.filesIndexed, 3, 'a chunking change re-embeds all');
    } finally {
      cleanup(ws, other);
    }
  });

  it('cancelled half way, the next run finishes with the same rows as a clean run', async () => {
    const ws = makeWorkspace({ patients: 12, csvRows: 3 });
    const clean = tempDir('clean');
    try {
      await indexOnce(ws, { indexLocation: clean });
      const engine = await Engine.open(configFor(ws), log, { ...opts, batchChunks: 10 });
      const ac = new AbortController();
      let writes = 0;
      const onProgress = (p: ProgressUpdate): void => {
        if (p.phase === 'write' && p.done === p.total && p.total > 0 && ++writes === 2) ac.abort();
      };
      const r1 = await engine.index({ workId: 'c1' }, onProgress, ac.signal);
      assert.ok(r1.cancelled);
      assert.ok(r1.filesIndexed > 0 && r1.filesIndexed < 13);
      assert.equal(r1.status.state, 'stale');
      const r2 = await engine.index({ workId: 'c2' });
      await engine.close();
      assert.ok(!r2.cancelled);
      assert.equal(r1.filesIndexed + r2.filesIndexed, 13);
      assert.deepEqual(await ids(configFor(ws).indexLocation), await ids(clean));
    } finally {
      cleanup(ws, clean);
    }
  });

  it('reports every bad input and indexes the rest', async () => {
    const ws = makeWorkspace({ patients: 2 });
    try {
      fs.writeFileSync(path.join(ws, 'binary.txt'), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x41]));
      fs.writeFileSync(path.join(ws, 'latin1.md'), Buffer.from('Patient caf\xe9 visit', 'latin1'));
      fs.writeFileSync(path.join(ws, 'empty.md'), '');
      fs.writeFileSync(path.join(ws, 'rows.csv'), 'subject_id,text\np1,"fine row one"\np2,"broken "row\np3,fine row three\n');
      // A 50 MB note over a 32 MB limit: skipped with the size and the setting to change (see test/sidecar/README.md).
      const big = path.join(ws, 'huge.txt');
      const fd = fs.openSync(big, 'w');
      const line = Buffer.from('Patient reports chest pain radiating to the left arm with diaphoresis.\n'.repeat(1000));
      for (let written = 0; written < 50 * 1024 * 1024; written += line.length) fs.writeSync(fd, line);
      fs.closeSync(fd);
      const r = await indexOnce(ws, { maxFileBytes: 32 * 1024 * 1024 });
      const by = (p: string) => r.problems.filter((x) => x.path === p);
      assert.match(by('binary.txt')[0].message, /binary/);
      assert.match(by('latin1.md')[0].message, /UTF-8/);
      assert.equal(by('empty.md')[0].severity, 'warning');
      assert.match(by('huge.txt')[0].message, /50\.0 MB, over the 32\.0 MB limit/);
      assert.deepEqual(by('rows.csv').map((p) => p.row), [2]);
      assert.equal(r.status.notes, 4); // 2 demo notes + 2 good CSV rows
      // A second run re-reports the problems without re-reading the files.
      const r2 = await indexOnce(ws, { maxFileBytes: 32 * 1024 * 1024 });
      assert.equal(r2.filesIndexed, 0);
      assert.equal(r2.problems.length, r.problems.length);
    } finally {
      cleanup(ws);
    }
  });

  describe('locks and corruption', () => {
    let ws: string;
    let holder: ChildProcess | undefined;
    beforeEach(() => {
      ws = makeWorkspace({ patients: 2 });
    });
    afterEach(() => {
      holder?.kill('SIGKILL');
      holder = undefined;
      cleanup(ws);
    });

    it('refuses to write while another live process holds the lock, and searches still work', async () => {
      await indexOnce(ws);
      holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      const cfg = configFor(ws);
      fs.writeFileSync(path.join(cfg.indexLocation, LOCK_FILE), JSON.stringify({ pid: holder.pid, host: os.hostname(), since: '' }));
      const engine = await Engine.open(cfg, log, opts);
      try {
        await assert.rejects(
          engine.index({ workId: 'l' }),
          (e: unknown) => e instanceof EngineError && e.code === ErrorCodes.IndexLocked && (e.data as { holderPid: number }).holderPid === holder?.pid,
        );
        assert.ok((await engine.search({ query: 'pain', k: 3, mode: 'hybrid' })).hits.length > 0);
        holder.kill('SIGKILL');
        await new Promise((resolve) => holder?.once('exit', resolve));
        const r = await engine.index({ workId: 'l2' });
        assert.equal(r.status.state, 'ready', 'a dead holder is stale');
      } finally {
        await engine.close();
      }
    });

    it('a corrupt index gives IndexCorrupt, then a rebuild recovers', async () => {
      const first = await indexOnce(ws);
      const cfg = configFor(ws);
      const table = path.join(cfg.indexLocation, 'chunks.lance');
      for (const sub of ['_versions', 'data']) {
        for (const f of fs.readdirSync(path.join(table, sub))) fs.writeFileSync(path.join(table, sub, f), 'garbage');
      }
      const engine = await Engine.open(cfg, log, opts);
      try {
        const s = await engine.status();
        assert.equal(s.state, 'corrupt');
        await assert.rejects(engine.search({ query: 'pain', k: 3, mode: 'hybrid' }), hasCode(ErrorCodes.IndexCorrupt));
        await assert.rejects(engine.index({ workId: 'x' }), (e: unknown) => hasCode(ErrorCodes.IndexCorrupt)(e) && /Rebuild Index/.test((e as Error).message));
        const r = await engine.index({ workId: 'y', rebuild: true });
        assert.equal(r.status.state, 'ready');
        assert.equal(r.chunksAdded, first.chunksAdded);
        assert.ok((await engine.search({ query: 'pain', k: 3, mode: 'hybrid' })).hits.length > 0);
      } finally {
        await engine.close();
      }
    });

    it('an index folder deleted while the engine runs: status says so, the next index run builds it again', async () => {
      const engine = await Engine.open(configFor(ws), log, opts);
      try {
        const first = await engine.index({ workId: 'a' });
        fs.rmSync(engine.config.indexLocation, { recursive: true, force: true });
        const gone = await engine.status();
        assert.equal(gone.state, 'missing');
        assert.match(String(gone.detail), /deleted/);
        await assert.rejects(engine.search({ query: 'pain', k: 3, mode: 'hybrid' }), hasCode(ErrorCodes.NotIndexed));
        const r = await engine.index({ workId: 'b' });
        assert.equal(r.status.state, 'ready');
        assert.equal(r.filesIndexed, 2);
        assert.equal(r.status.chunks, first.chunksAdded);
      } finally {
        await engine.close();
      }
    });
  });
});

describe('engine: query expansion with a lexicon', function () {
  before(function () {
    requireModel();
  });

  it('expands an abbreviation with the concept names and reports them', async () => {
    const { gzipSync } = await import('node:zlib');
    const ws = makeWorkspace({ patients: 12 });
    const model = copyModelWithId('drehr-test-lexicon');
    fs.writeFileSync(path.join(model, 'lexicon.json.gz'), gzipSync(JSON.stringify({ concepts: [{ id: 'C1', names: ['hypertension', 'high blood pressure'], abbreviations: [{ sf: 'htn', share: 0.98 }], children: [] }] })));
    const engine = await Engine.open(configFor(ws, { modelDir: model }), log, opts);
    try {
      await engine.index({ workId: 'x' });
      const plain = await engine.search({ query: 'HTN', k: 10, mode: 'bm25', expand: false });
      assert.deepEqual(plain.expansions, []);
      assert.equal(plain.hits.length, 0, 'no note of these patients spells HTN');
      const expanded = await engine.search({ query: 'HTN', k: 10, mode: 'bm25', expand: true });
      assert.deepEqual(expanded.expansions, ['hypertension', 'high blood pressure']);
      assert.ok(expanded.hits.length > 0);
      assert.ok(expanded.hits.some((h) => /hypertension|high blood pressure/i.test(h.snippet)));
      const hl = expanded.hits[0].highlights[0];
      assert.ok(hl && /hypertension|high|blood|pressure/i.test(expanded.hits[0].snippet.slice(hl.start, hl.end)));
    } finally {
      await engine.close();
      cleanup(ws, model);
    }
  });
});

describe('engine: close during indexing', function () {
  before(function () {
    requireModel();
  });

  it('stops the run at a batch boundary, and the next engine finishes it', async () => {
    const ws = makeWorkspace({ patients: 12 });
    try {
      const engine = await Engine.open(configFor(ws), log, { ...opts, batchChunks: 10 });
      let closing: Promise<void> | undefined;
      const run = engine.index({ workId: 'c' }, (p) => {
        if (p.phase === 'write' && p.total > 0 && p.done === p.total && !closing) closing = engine.close();
      });
      const r = await run;
      await closing;
      assert.ok(r.cancelled);
      const again = await indexOnce(ws);
      assert.equal(r.filesIndexed + again.filesIndexed, 12);
      assert.equal(again.status.state, 'ready');
    } finally {
      cleanup(ws);
    }
  });
});

describe('engine: ANN index once the table is large', function () {
  before(function () {
    requireModel();
  });

  it('builds IVF_PQ past the threshold, records it, and searches through it', async () => {
    const ws = makeWorkspace({ patients: 127 });
    try {
      const engine = await Engine.open(configFor(ws), log, { threads: 2, annMinRows: 300 });
      try {
        const r = await engine.index({ workId: 'ann' });
        assert.ok(r.status.chunks >= 300, `${r.status.chunks} chunks`);
        assert.ok(r.status.hasAnnIndex);
        const manifest = JSON.parse(fs.readFileSync(path.join(engine.config.indexLocation, 'manifest.json'), 'utf8')) as { annRows?: number };
        assert.equal(manifest.annRows, r.status.chunks);
        const hits = await engine.search({ query: 'Atrial fibrillation with rapid ventricular response', k: 10, mode: 'dense' });
        assert.equal(hits.hits.length, 10);
        const exactTop = await engine.search({ query: 'shortness of breath', k: 1, mode: 'bm25' });
        assert.equal(exactTop.hits.length, 1);
      } finally {
        await engine.close();
      }
      const again = await Engine.open(configFor(ws), log, { threads: 2, annMinRows: 300 });
      try {
        assert.ok((await again.status()).hasAnnIndex);
        assert.equal((await again.index({ workId: 'ann2' })).filesIndexed, 0);
        // Pretend the index was built for a quarter of today's rows: the next write rebuilds it for the new size.
        const file = path.join(again.config.indexLocation, 'manifest.json');
        const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { annRows: number };
        const rows = m.annRows;
        m.annRows = Math.floor(rows / 4);
        fs.writeFileSync(file, JSON.stringify(m));
        fs.writeFileSync(path.join(ws, 'p001', 'extra.txt'), 'Follow-up: blood pressure controlled on lisinopril.');
        const r3 = await again.index({ workId: 'ann3' });
        const m3 = JSON.parse(fs.readFileSync(file, 'utf8')) as { annRows: number };
        assert.equal(m3.annRows, rows + 1);
        assert.ok(r3.status.hasAnnIndex);
      } finally {
        await again.close();
      }
    } finally {
      cleanup(ws);
    }
  });
});
