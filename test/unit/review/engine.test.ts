import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { labelsPathFor } from '../../../src/shared/pairs';
import { ReviewEngine, type EngineEvent } from '../../../src/review/engine';
import { ReviewWorkerClient } from '../../../src/review/workerClient';
import { pair } from './order.test';

function writePairs(file: string, n: number): void {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(JSON.stringify(pair({ id: `p${i}`, chunk_id: `n${i}::0`, entity: i % 3 ? 'asthma' : 'metformin', entity_type: i % 3 ? 'diagnosis' : 'drug' })));
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

describe('review/engine (the worker side of the review)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-engine-'));
    file = path.join(dir, 'x.pairs.jsonl');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sends a first page while a large file is read, then progress; the final snapshot starts where the page did', () => {
    writePairs(file, 25_000);
    fs.writeFileSync(labelsPathFor(file), '{"format":"drehr-labels","version":1}\n{"pair_id":"p0","label":"noise","reviewer":"r","time":"t"}\n');
    const events: EngineEvent[] = [];
    const e = new ReviewEngine((ev) => events.push(ev));
    const r = e.handle({ op: 'open', file, reviewer: 'me' });
    assert.ok(events.length >= 2, `${events.length} events`);
    const first = events[0];
    assert.equal(first.event, 'loading');
    assert.ok(first.event === 'loading' && first.snapshot, 'the first event carries the first page');
    const page = first.event === 'loading' ? first.snapshot! : undefined!;
    assert.equal(page.view.pair?.id, 'p0');
    assert.equal(page.view.label, 'noise', 'labels are read before the pairs');
    assert.ok(page.view.loading && page.view.loading.done < page.view.loading.total);
    assert.equal(page.upcoming[0], 'n0::0');
    // Later events are progress only, increasing.
    const later = events.slice(1).map((x) => (x.event === 'loading' ? x.done : -1));
    assert.ok(later.every((d, i) => d > (i === 0 ? (first.event === 'loading' ? first.done : 0) : later[i - 1])));
    assert.equal(r.snapshot?.view.size, 25_000);
    assert.equal(r.snapshot?.view.loading, undefined);
    assert.equal(r.snapshot?.pair?.id, page.view.pair?.id);
    assert.equal(r.info?.file, 'x.pairs.jsonl');
    e.handle({ op: 'close' });
  });

  it('handles the review requests and writes decisions and exports to disk', () => {
    writePairs(file, 30);
    const e = new ReviewEngine();
    e.handle({ op: 'open', file, reviewer: 'me' });
    let s = e.handle({ op: 'decide', label: 'noise' }).snapshot!;
    assert.equal(s.view.position, 1);
    assert.match(fs.readFileSync(labelsPathFor(file), 'utf8'), /"pair_id":"p0","label":"noise"/);
    s = e.handle({ op: 'setFilter', filter: { type: 'drug' } }).snapshot!;
    assert.equal(s.view.size, 10);
    assert.equal(e.handle({ op: 'bulk', label: 'valid' }).count, 10);
    assert.equal(e.handle({ op: 'undo' }).count, 10);
    s = e.handle({ op: 'restore', restore: { order: 'sample', seed: 7, filter: {}, pairId: 'p5' } }).snapshot!;
    assert.equal(s.view.order, 'sample');
    assert.equal(s.pair?.id, 'p5');
    const out = path.join(dir, 'x.cleaned.pairs.jsonl');
    assert.deepEqual(e.handle({ op: 'export', out, dropUnsure: false, time: 't' }).exported, { kept: 29, removed: 1 });
    assert.equal(fs.readFileSync(out, 'utf8').trim().split('\n').length, 29);
    assert.ok(fs.existsSync(`${out}.summary.json`));
    assert.throws(() => e.handle({ op: 'export', out: file, dropUnsure: false, time: 't' }), /never replace/);
    e.handle({ op: 'close' });
  });

  it('emits changed when another window appends to the label log', () => {
    writePairs(file, 3);
    const events: EngineEvent[] = [];
    const e = new ReviewEngine((ev) => events.push(ev));
    e.handle({ op: 'open', file, reviewer: 'me' });
    e.poll();
    assert.equal(events.length, 0);
    fs.appendFileSync(labelsPathFor(file), '{"pair_id":"p0","label":"valid","reviewer":"other","time":"t"}\n');
    e.poll();
    assert.equal(events.length, 1);
    assert.equal(events[0].event === 'changed' && events[0].snapshot.view.label, 'valid');
    e.handle({ op: 'close' });
  });

  it('runs in a worker thread: requests answered in order, errors as rejections, a missing file said by name', async function () {
    this.timeout(60000);
    // The real worker bundle (node esbuild.mjs builds it; the test runner builds before the unit suite).
    const script = path.resolve('dist/reviewWorker.js');
    assert.ok(fs.existsSync(script), `${script} is missing: run node esbuild.mjs first`);
    writePairs(file, 500);
    const events: EngineEvent[] = [];
    const c = new ReviewWorkerClient(script, (ev) => events.push(ev));
    try {
      const opened = await c.request({ op: 'open', file, reviewer: 'me' });
      assert.equal(opened.snapshot?.view.size, 500);
      assert.ok(events.some((ev) => ev.event === 'loading' && ev.snapshot), 'a first page before the open answered');
      const moves = await Promise.all([1, 1, 1].map((delta) => c.request({ op: 'move', delta })));
      assert.deepEqual(moves.map((m) => m.snapshot?.view.position), [1, 2, 3]);
      await assert.rejects(c.request({ op: 'open', file, reviewer: 'me' }), /already open/);
      const d = await c.request({ op: 'decide', label: 'unsure' });
      assert.equal(d.snapshot?.view.position, 4);
      assert.match(fs.readFileSync(labelsPathFor(file), 'utf8'), /"pair_id":"p3","label":"unsure"/);
    } finally {
      await c.close();
    }
    await assert.rejects(c.request({ op: 'view' }), /closed/);
    const c2 = new ReviewWorkerClient(script, () => {});
    try {
      await assert.rejects(c2.request({ op: 'open', file: path.join(dir, 'gone.pairs.jsonl'), reviewer: 'me' }), /gone\.pairs\.jsonl/);
    } finally {
      await c2.close();
    }
  });
});
