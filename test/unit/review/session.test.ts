import * as assert from 'node:assert/strict';
import type { LabelLine, Pair } from '../../../src/shared/pairs';
import { LabelState } from '../../../src/review/labels';
import { ReviewSession, type LabelSink } from '../../../src/review/session';
import { seededPermutation } from '../../../src/review/order';
import { pair } from './order.test';

class MemorySink implements LabelSink {
  readonly state = new LabelState();
  readonly lines: LabelLine[] = [];
  append(lines: readonly LabelLine[]): void {
    for (const l of lines) {
      this.lines.push(l);
      this.state.apply(l);
    }
  }
}

function pairs(n: number): Pair[] {
  return Array.from({ length: n }, (_, i) =>
    pair({ id: `p${i}`, entity: i % 5 === 0 ? 'patient' : `e${i}`, entity_type: i % 2 ? 'drug' : 'diagnosis', explicit: i % 3 !== 0, suspicion: { score: (i % 7) / 7, reasons: [], version: 1 } }),
  );
}

describe('review/session', () => {
  it('a decision writes one line and moves on; undo writes the previous state back', () => {
    const sink = new MemorySink();
    const s = new ReviewSession(pairs(10), sink, 'ann', { now: () => 'T' });
    s.decide('noise');
    assert.equal(s.position, 1);
    assert.deepEqual(sink.lines[0], { pair_id: 'p0', label: 'noise', reviewer: 'ann', time: 'T' });
    s.decide('valid');
    s.goto(0);
    s.decide('unsure'); // relabel p0
    assert.equal(s.labels.labelOf('p0'), 'unsure');
    assert.equal(s.undo(), 1);
    assert.equal(s.labels.labelOf('p0'), 'noise');
    assert.equal(s.position, 0);
    s.undo();
    s.undo();
    assert.equal(s.labels.labelOf('p0'), undefined);
    assert.equal(sink.lines[sink.lines.length - 1].label, 'unlabel');
    assert.equal(s.canUndo, false);
    assert.equal(s.undo(), 0);
  });

  it('decisions in the random-sample order carry the seed and rank; others do not', () => {
    const sink = new MemorySink();
    const s = new ReviewSession(pairs(50), sink, 'ann', { seed: 3 });
    s.setOrder('sample');
    const perm = seededPermutation(50, 3);
    assert.equal(s.current!.id, `p${perm[0]}`);
    s.decide('valid');
    assert.deepEqual(sink.lines[0].sample, { seed: 3, rank: 0 });
    s.decide('noise');
    assert.deepEqual(sink.lines[1].sample, { seed: 3, rank: 1 });
    // A filter that is not "unlabelled" makes it a sample of a subset: no sample mark.
    s.setFilter({ type: 'drug', label: 'unlabelled' });
    s.decide('valid');
    assert.equal(sink.lines[2].sample, undefined);
    s.setFilter({ label: 'unlabelled' });
    s.decide('valid');
    assert.ok(sink.lines[3].sample);
    s.setOrder('file');
    s.decide('noise');
    assert.equal(sink.lines[4].sample, undefined);
    const n = s.numbers();
    assert.equal(n.reviewed, 5);
    assert.equal(n.sampled, 3);
    assert.equal(n.noise.overall!.n, 3);
    assert.equal(n.noise.overall!.k, 1);
    assert.equal(n.noise.projected!.noisy, Math.round(50 / 3));
  });

  it('most suspicious first, and the .suspicion.jsonl scores win', () => {
    const s = new ReviewSession(pairs(14), new MemorySink(), 'ann');
    s.setOrder('suspicious');
    assert.equal(s.current!.suspicion!.score, 6 / 7);
    s.setScores(new Map([['p3', { score: 2, reasons: [], version: 1 }]]));
    assert.equal(s.current!.id, 'p3');
  });

  it('bulk labels the filtered set with one bulk id, not as sample reviews, and undo reverts it all', () => {
    const sink = new MemorySink();
    const s = new ReviewSession(pairs(20), sink, 'ann');
    s.setOrder('sample');
    s.decide('valid'); // one sample review first
    const first = sink.lines[0].pair_id;
    s.setFilter({ entity: 'patient' });
    assert.equal(s.size, 4);
    assert.equal(s.bulk('noise'), 4);
    const bulk = sink.lines.slice(1);
    assert.equal(new Set(bulk.map((l) => l.bulk)).size, 1);
    assert.ok(bulk.every((l) => l.sample === undefined && l.label === 'noise'));
    assert.equal(s.numbers().byLabel.noise, 4);
    s.undo();
    assert.equal(s.numbers().byLabel.noise, 0);
    // The sample review made before keeps its sample mark when a bulk over it is undone.
    if (bulk.some((l) => l.pair_id === first)) assert.ok(s.labels.current.get(first)?.sample);
  });

  it('kappa appears once two reviewers labelled the same pairs', () => {
    const sink = new MemorySink();
    const ann = new ReviewSession(pairs(4), sink, 'ann');
    const bob = new ReviewSession(pairs(4), sink, 'bob');
    for (const l of ['valid', 'noise', 'noise', 'valid'] as const) ann.decide(l);
    for (const l of ['valid', 'valid', 'noise', 'valid'] as const) bob.decide(l);
    const n = bob.numbers();
    assert.deepEqual(n.kappa?.reviewers, ['ann', 'bob']);
    assert.equal(n.kappa?.n, 4);
    // ann v n n v; bob v v n v: po = 3/4; pe = (2/4·3/4) + (2/4·1/4) = 1/2; kappa = 0.5.
    assert.ok(Math.abs(n.kappa!.kappa! - 0.5) < 1e-9);
  });
});
