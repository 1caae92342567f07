import * as assert from 'node:assert/strict';
import type { Decision } from '../../../src/shared/pairs';
import { cleanedPathFor, cleanPairs } from '../../../src/review/export';
import { pair } from './order.test';

describe('review/export', () => {
  const pairs = ['a', 'b', 'c', 'd', 'e'].map((id) => pair({ id }));
  const labels: Record<string, Decision> = { a: 'valid', b: 'noise', c: 'unsure', e: 'noise' };
  const labelOf = (id: string): Decision | undefined => labels[id];

  it('drops noise, keeps unsure unless asked, keeps file order and the pairs as they were', () => {
    const keep = cleanPairs(pairs, labelOf, { dropUnsure: false });
    assert.deepEqual(keep.lines.map((l) => (JSON.parse(l) as { id: string }).id), ['a', 'c', 'd']);
    assert.deepEqual(JSON.parse(keep.lines[0]), pairs[0]);
    assert.deepEqual(keep.counts, { pairs: 5, kept: 3, removedNoise: 2, removedUnsure: 0, keptUnlabelled: 1, keptValid: 1, keptUnsure: 1 });
    const drop = cleanPairs(pairs, labelOf, { dropUnsure: true });
    assert.deepEqual(drop.lines.map((l) => (JSON.parse(l) as { id: string }).id), ['a', 'd']);
    assert.equal(drop.counts.removedUnsure, 1);
  });

  it('names the cleaned file beside the pairs', () => {
    assert.equal(cleanedPathFor('/w/demo.pairs.jsonl'), '/w/demo.cleaned.pairs.jsonl');
    assert.equal(cleanedPathFor('/w/x.jsonl'), '/w/x.cleaned.jsonl');
  });
});
