import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { labelsPathFor, suspicionPathFor } from '../../../src/shared/pairs';
import { isPairsReviewToHost } from '../../../src/shared/webview-pairs';
import { loadReview } from '../../../src/review/load';
import { chunkViewOf, reviewView, sha256Hex } from '../../../src/review/view';
import { pair } from './order.test';

const chunk = (text: string) => ({ chunkId: 'n1::0', text, noteId: 'n1', patientId: 'p1', source: 'p1/n1.md', charStart: 0, charEnd: text.length });

describe('review/view and load', () => {
  it('a chunk is ok when its text hashes to chunk_hash (a prefix too), stale when gone or changed', () => {
    const text = 'Asthma on albuterol.';
    assert.deepEqual(chunkViewOf(pair({ chunk_hash: sha256Hex(text) }), chunk(text)), { state: 'ok', text, source: 'p1/n1.md' });
    assert.equal(chunkViewOf(pair({ chunk_hash: sha256Hex(text).slice(0, 16).toUpperCase() }), chunk(text)).state, 'ok');
    assert.deepEqual(chunkViewOf(pair({ chunk_hash: sha256Hex(text) }), null), { state: 'stale', reason: 'missing' });
    const changed = chunkViewOf(pair({ chunk_hash: sha256Hex('older text') }), chunk(text));
    assert.equal(changed.state, 'stale');
    assert.equal(changed.state === 'stale' && changed.reason, 'changed');
  });

  it('the host guard accepts the declared messages only', () => {
    for (const ok of [
      { type: 'ready' },
      { type: 'ready', restore: { order: 'sample', seed: 3, filter: { type: 'drug', label: 'unlabelled', entity: 'x' }, pairId: 'a' } },
      { type: 'decide', label: 'noise' },
      { type: 'bulk', label: 'valid' },
      { type: 'move', delta: -1 },
      { type: 'goto', position: 4 },
      { type: 'setOrder', order: 'suspicious' },
      { type: 'setFilter', filter: { evidence: 'implicit', generator: 'llm' } },
      { type: 'undo' },
      { type: 'open' },
      { type: 'score' },
      { type: 'export' },
      { type: 'train' },
    ]) {
      assert.ok(isPairsReviewToHost(ok), JSON.stringify(ok));
    }
    for (const bad of [
      null,
      [],
      { type: 'decide', label: 'unlabel' },
      { type: 'decide', label: 'maybe' },
      { type: 'move', delta: 0.5 },
      { type: 'setOrder', order: 'random' },
      { type: 'setOrder', order: 'sample', seed: -1 },
      { type: 'setFilter', filter: { type: 'symptom' } },
      { type: 'setFilter', filter: { entity: 'x'.repeat(201) } },
      { type: 'ready', restore: { order: 'file' } },
      { type: 'eval' },
    ]) {
      assert.equal(isPairsReviewToHost(bad), false, JSON.stringify(bad));
    }
  });

  describe('loadReview', () => {
    let dir: string;
    let file: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-review-'));
      file = path.join(dir, 'x.pairs.jsonl');
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('loads pairs, scores beside them and labels; a truncated last line is a notice', () => {
      const lines = [pair({ id: 'a' }), pair({ id: 'b', entity: 'albuterol', entity_type: 'drug' })].map((p) => JSON.stringify(p));
      fs.writeFileSync(file, `${lines.join('\n')}\n${lines[0].slice(0, 30)}`);
      fs.writeFileSync(suspicionPathFor(file), JSON.stringify({ pair_id: 'b', score: 0.9, reasons: [], version: 1, model_id: 'm' }) + '\n');
      fs.writeFileSync(labelsPathFor(file), '{"format":"drehr-labels","version":1}\n{"pair_id":"a","label":"noise","reviewer":"r","time":"t"}\n');
      const r = loadReview(file, 'me');
      assert.equal(r.session.pairs.length, 2);
      assert.equal(r.readOnly, undefined);
      assert.equal(r.notices.length, 1);
      assert.match(r.notices[0], /x\.pairs\.jsonl line 3: the last line is incomplete/);
      const v = reviewView(r.session);
      assert.equal(v.label, 'noise');
      assert.equal(v.numbers.reviewed, 1);
      r.session.setOrder('suspicious');
      assert.equal(r.session.current!.id, 'b');
      r.log?.close();
    });

    it('a newer label log opens the pairs read-only, says why, and is not touched', () => {
      fs.writeFileSync(file, JSON.stringify(pair({ id: 'a' })) + '\n');
      const newer = '{"format":"drehr-labels","version":9}\n';
      fs.writeFileSync(labelsPathFor(file), newer);
      const r = loadReview(file, 'me');
      assert.match(r.readOnly ?? '', /newer version of DR\.EHR/);
      assert.match(r.notices[0], /newer version/);
      assert.throws(() => r.session.decide('valid'), /newer version/);
      assert.equal(fs.readFileSync(labelsPathFor(file), 'utf8'), newer);
    });
  });
});
