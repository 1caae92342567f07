/** Patients mode, filters as prefilters and switched-off expansions, with the real engine (demo model, LanceDB). */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/sidecar/engine';
import { EngineError } from '../../src/sidecar/errors';
import { cleanup, configFor, makeWorkspace, memoryLogger, requireModel } from './helpers';

const log = memoryLogger();

function note(patient: string, id: string, type: string, date: string, body: string): string {
  return `---\npatient_id: ${patient}\nnote_id: ${id}\nnote_type: ${type}\ndate: ${date}\n---\n${body}\n`;
}

describe('engine: patients, filters and expansions (demo model, LanceDB)', function () {
  let ws: string;
  let engine: Engine;
  before(async function () {
    requireModel();
    ws = makeWorkspace({ patients: 8 });
    fs.mkdirSync(path.join(ws, 'imaging', "o'brien"), { recursive: true });
    const filler = 'The patient was seen today in clinic and the plan was discussed with the family at length. '.repeat(3);
    fs.writeFileSync(path.join(ws, 'imaging', "o'brien", 'ct.md'), note("p'x", 'rad-1', 'radiology', '2031-05-02', `${filler} Chest CT shows no pulmonary embolism.`));
    fs.writeFileSync(path.join(ws, 'imaging', 'xr.md'), note('p\\y', 'rad-2', 'radiology', '2030-01-01', `${filler} Chest x-ray with a small effusion.`));
    // Last in scan order (so outside a one-chunk vocabulary): a typo that a note really holds.
    fs.mkdirSync(path.join(ws, 'zz'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'zz', 'late.md'), note('p-late', 'late-1', 'letter', '2031-06-01', `${filler} An old report spelled it embolisn.`));
    engine = await Engine.open(configFor(ws), log, { threads: 2, batchChunks: 40 });
    await engine.index({ workId: 't' });
  });
  after(async () => {
    await engine?.close();
    if (ws) cleanup(ws);
  });

  it('ranks patients by their passages, each with its own evidence, past the passage top k', async () => {
    const passages = await engine.search({ query: 'pain', k: 5, mode: 'bm25', expand: false });
    const r = await engine.searchPatients({ query: 'pain', k: 20, mode: 'bm25', expand: false, evidence: 2 });
    assert.equal(r.aggregate, 'max');
    assert.ok(r.patients.length > new Set(passages.hits.map((h) => h.patientId)).size, 'more patients than the first 5 passages hold');
    assert.deepEqual(r.patients.map((p) => p.rank), r.patients.map((_, i) => i + 1));
    for (const p of r.patients) {
      assert.ok(p.evidence.length >= 1 && p.evidence.length <= 2);
      assert.ok(p.evidence.every((h) => h.patientId === p.patientId));
      assert.ok(p.passages >= p.evidence.length && p.notes >= 1);
    }
    for (let i = 1; i < r.patients.length; i++) assert.ok(r.patients[i - 1].score >= r.patients[i].score);
    assert.equal(r.patients[0].patientId, passages.hits[0].patientId, 'max: the best passage\'s patient comes first');
    const rrf = await engine.searchPatients({ query: 'pain', k: 20, mode: 'bm25', expand: false, aggregate: 'rrf' });
    assert.equal(rrf.aggregate, 'rrf');
    await assert.rejects(engine.searchPatients({ query: 'pain', k: 5, mode: 'bm25', aggregate: 'mean' as never }), EngineError);
  });

  it('applies filters inside the index query, before the top k', async () => {
    const top1 = await engine.search({ query: 'chest pain', k: 1, mode: 'hybrid', expand: false });
    assert.notEqual(top1.hits[0].noteType, 'radiology');
    const rad = await engine.search({ query: 'chest pain', k: 1, mode: 'hybrid', expand: false, filters: { noteTypes: ['radiology'] } });
    assert.equal(rad.hits.length, 1);
    assert.equal(rad.hits[0].noteType, 'radiology');
    const dated = await engine.search({ query: 'chest', k: 50, mode: 'bm25', expand: false, filters: { dateFrom: '2031-05-01', dateTo: '2031-05-02', noteTypes: ['radiology'] } });
    assert.deepEqual([...new Set(dated.hits.map((h) => h.noteId))], ['rad-1']);
    const folder = await engine.search({ query: 'chest', k: 50, mode: 'dense', filters: { folders: ["imaging/o'brien"] } });
    assert.deepEqual([...new Set(folder.hits.map((h) => h.noteId))], ['rad-1']);
    const quoted = await engine.search({ query: 'chest', k: 50, mode: 'dense', filters: { patientIds: ["p'x", 'p\\y'] } });
    assert.deepEqual([...new Set(quoted.hits.map((h) => h.patientId))].sort(), ["p'x", 'p\\y']);
    const none = await engine.search({ query: 'chest', k: 50, mode: 'dense', filters: { patientIds: ["p1' OR '1'='1"] } });
    assert.equal(none.hits.length, 0);
    await assert.rejects(engine.search({ query: 'chest', k: 5, mode: 'dense', filters: { dateFrom: 'yesterday' } }), /filters.dateFrom/);
  });

  it('reports the expansions, which ones each hit holds, and leaves switched-off ones out', async function () {
    const on = await engine.search({ query: 'hypertension', k: 30, mode: 'bm25', expand: true });
    assert.ok(on.expansions.length > 0, 'the shipped model has a lexicon: hypertension must expand');
    const withHtn = on.hits.filter((h) => h.matchedExpansions?.includes('htn'));
    assert.ok(on.expansions.includes('htn'));
    for (const h of on.hits) for (const f of h.matchedExpansions ?? []) assert.ok(on.expansions.includes(f));
    const off = await engine.search({ query: 'hypertension', k: 30, mode: 'bm25', expand: true, disabledExpansions: ['HTN'] });
    assert.deepEqual(off.disabledExpansions, ['htn']);
    assert.deepEqual(off.expansions, on.expansions, 'the chips stay, marked off');
    assert.ok(off.hits.every((h) => !h.matchedExpansions?.includes('htn')));
    if (withHtn.length) assert.ok(withHtn.some((h) => h.highlights.length > 0));
  });

  it('suggests a spelling for words neither the index nor the lexicon knows, and leaves abbreviations alone', async () => {
    // No results: the search waits for the index's vocabulary.
    const none = await engine.search({ query: 'embolsim', k: 5, mode: 'bm25' });
    assert.equal(none.hits.length, 0);
    assert.equal(none.suggestion?.query, 'embolism');
    assert.deepEqual(none.suggestion?.corrections, [{ from: 'embolsim', to: 'embolism' }]);
    // With results (the vocabulary is ready now): still offered, for the misspelled word only.
    const some = await engine.searchPatients({ query: 'Chest effusoin', k: 5, mode: 'bm25' });
    assert.ok(some.patients.length > 0);
    assert.equal(some.suggestion?.query, 'Chest effusion');
    for (const q of ['chest pain', 'CT', 'HTN', 'effusion']) assert.equal((await engine.search({ query: q, k: 3, mode: 'bm25' })).suggestion, undefined, q);
    // A vocabulary read from one chunk: a word outside it is looked up in the index before it is called misspelled.
    const sampled = await Engine.open(configFor(ws), log, { threads: 1, vocabularyChunks: 1 });
    try {
      assert.equal((await sampled.search({ query: 'embolsim', k: 5, mode: 'bm25' })).suggestion?.query, 'embolism');
      // "embolisn" is a typo in one note: in the index, so not corrected (without the look-up it would become "embolism").
      assert.equal((await sampled.search({ query: 'embolisn', k: 5, mode: 'bm25' })).suggestion, undefined);
    } finally {
      await sampled.close();
    }
  });

  it('finds passages like a passage from its stored vector, leaving its own note out', async () => {
    const seed = (await engine.search({ query: 'Chest CT shows no pulmonary embolism', k: 1, mode: 'bm25', expand: false })).hits[0];
    assert.equal(seed.noteId, 'rad-1');
    const like = await engine.similar({ chunkId: seed.chunkId, k: 5 });
    assert.equal(like.hits.length, 5);
    assert.ok(like.hits.every((h) => h.noteId !== 'rad-1' && h.matchedBy.join() === 'dense'));
    for (let i = 1; i < like.hits.length; i++) assert.ok(like.hits[i - 1].score >= like.hits[i].score);
    const sameNote = await engine.similar({ chunkId: seed.chunkId, k: 3, excludeOwnNote: false, filters: { noteTypes: ['radiology'] } });
    assert.ok(sameNote.hits.every((h) => h.noteType === 'radiology' && h.chunkId !== seed.chunkId));
    await assert.rejects(engine.similar({ chunkId: 'no-such::0', k: 3 }), /no longer in the index/);
  });
});
