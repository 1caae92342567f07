import * as assert from 'node:assert/strict';
import { aggregatePatients } from '../../../src/sidecar/patients';

type P = { id: string; patient: string; score: number };
const ranked: P[] = [
  { id: 'a1', patient: 'A', score: 0.9 },
  { id: 'b1', patient: 'B', score: 0.8 },
  { id: 'b2', patient: 'B', score: 0.7 },
  { id: 'b3', patient: 'B', score: 0.6 },
  { id: 'b4', patient: 'B', score: 0.5 },
  { id: 'c1', patient: 'C', score: 0.4 },
];
const run = (how: 'max' | 'topk' | 'rrf', opts = {}) => aggregatePatients(ranked, (x) => x.patient, (x) => x.score, how, opts);
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

describe('patient aggregation', () => {
  it('max: the best passage decides', () => {
    const g = run('max');
    assert.deepEqual(g.map((x) => x.patientId), ['A', 'B', 'C']);
    close(g[0].score, 0.9);
    close(g[1].score, 0.8);
  });
  it('topk: the sum of the best k passages, so more evidence ranks higher but is capped at k', () => {
    const g = run('topk', { topK: 3 });
    assert.deepEqual(g.map((x) => x.patientId), ['B', 'A', 'C']);
    close(g[0].score, 0.8 + 0.7 + 0.6);
    close(run('topk', { topK: 1 })[0].score, 0.9);
  });
  it('rrf: the sum of 1/(k + rank) over all passages, independent of the score scale', () => {
    const g = run('rrf', { rrfK: 60 });
    assert.equal(g[0].patientId, 'B');
    close(g[0].score, 1 / 62 + 1 / 63 + 1 / 64 + 1 / 65);
    close(g.find((x) => x.patientId === 'A')!.score, 1 / 61);
    const scaled = aggregatePatients(ranked, (x) => x.patient, (x) => x.score * 1000, 'rrf', { rrfK: 60 });
    assert.deepEqual(scaled.map((x) => [x.patientId, x.score]), g.map((x) => [x.patientId, x.score]));
  });
  it('keeps each patient\'s passages in ranking order and breaks ties by the best passage', () => {
    const g = run('max');
    assert.deepEqual(g[1].items.map((x) => x.id), ['b1', 'b2', 'b3', 'b4']);
    const tied = aggregatePatients(
      [
        { id: 'x', patient: 'X', score: 1 },
        { id: 'y', patient: 'Y', score: 1 },
      ],
      (x) => x.patient,
      (x) => x.score,
      'max',
    );
    assert.deepEqual(tied.map((x) => x.patientId), ['X', 'Y']);
  });
  it('handles an empty ranking and negative scores under max', () => {
    assert.deepEqual(aggregatePatients([], (x: P) => x.patient, (x) => x.score, 'max'), []);
    const g = aggregatePatients([{ id: 'n', patient: 'N', score: -0.2 }], (x) => x.patient, (x) => x.score, 'max');
    close(g[0].score, -0.2);
  });
});
