import * as assert from 'node:assert/strict';
import type { Pair } from '../../../src/shared/pairs';
import { filterPredicate, generatorOf, prng, seededPermutation, suspiciousOrder } from '../../../src/review/order';

export function pair(over: Partial<Pair> = {}): Pair {
  return {
    id: '0000000000000000',
    chunk_id: 'n1::0',
    chunk_hash: 'ab',
    entity: 'asthma',
    entity_type: 'diagnosis',
    produced_by: 'graph:explicit',
    model: 'graph',
    prompt_version: 'graph-1',
    generator: 'graph',
    explicit: true,
    evidence: [],
    ...over,
  };
}

describe('review/order', () => {
  it('the seeded permutation is deterministic, complete and seed-dependent', () => {
    const a = seededPermutation(1000, 7);
    assert.deepEqual([...a], [...seededPermutation(1000, 7)]);
    assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
    assert.notDeepEqual([...a], [...seededPermutation(1000, 8)]);
    assert.notDeepEqual([...a.slice(0, 20)], Array.from({ length: 20 }, (_, i) => i));
    // mulberry32's published first output for seed 1.
    assert.equal(prng(1)(), 0.6270739405881613);
  });

  it('the random order is roughly uniform (each of 10 items first about 1/10 of the time)', () => {
    const firsts = new Array<number>(10).fill(0);
    for (let s = 0; s < 5000; s++) firsts[seededPermutation(10, s)[0]]++;
    for (const f of firsts) assert.ok(f > 400 && f < 600, `first-place count ${f} of 5000`);
  });

  it('most suspicious first: by score, unscored last, ties in file order', () => {
    assert.deepEqual([...suspiciousOrder([0.2, undefined, 0.9, 0.2, Number.NaN, 1])], [5, 2, 0, 3, 1, 4]);
  });

  it('filters by type, label state, explicit/implicit, entity text and generator', () => {
    const ps = [
      pair({ id: 'a', entity: 'Asthma', entity_type: 'diagnosis', explicit: true }),
      pair({ id: 'b', entity: 'albuterol', entity_type: 'drug', explicit: false, generator: 'llm', produced_by: 'llm' }),
      pair({ id: 'c', entity: 'patient', entity_type: 'diagnosis', explicit: false, generator: undefined, produced_by: 'graph:hypernym' }),
    ];
    const labels: Record<string, 'noise'> = { b: 'noise' };
    const ids = (f: Parameters<typeof filterPredicate>[0]): string[] => ps.filter(filterPredicate(f, (id) => labels[id])).map((p) => p.id);
    assert.deepEqual(ids({}), ['a', 'b', 'c']);
    assert.deepEqual(ids({ type: 'drug' }), ['b']);
    assert.deepEqual(ids({ evidence: 'implicit' }), ['b', 'c']);
    assert.deepEqual(ids({ entity: 'ASTH' }), ['a']);
    assert.deepEqual(ids({ generator: 'graph' }), ['a', 'c']);
    assert.deepEqual(ids({ label: 'unlabelled' }), ['a', 'c']);
    assert.deepEqual(ids({ label: 'noise' }), ['b']);
    assert.deepEqual(ids({ label: 'labelled', type: 'diagnosis' }), []);
    assert.equal(generatorOf(ps[2]), 'graph');
  });
});
