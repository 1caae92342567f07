import * as assert from 'node:assert/strict';
import { parsePairs, parseSuspicion } from '../../../src/review/pairsFile';

const line = (o: Record<string, unknown>): string =>
  JSON.stringify({ chunk_id: 'n::0', chunk_hash: 'ab', entity: 'x', entity_type: 'diagnosis', produced_by: 'llm', model: 'm', prompt_version: '1', ...o });

describe('review/pairsFile', () => {
  it('loads good lines, reports bad ones by number, reads "prescription" as drug', () => {
    const text = [line({ id: 'a' }), '', '{zzqx', line({ id: 'b', entity_type: 'prescription' }), '[1]', line({ id: 'c', entity_type: 'symptom' }), line({ id: 'a' }), line({ id: 'd', entity: '' })].join('\n') + '\n';
    const r = parsePairs(text);
    assert.deepEqual(r.pairs.map((p) => p.id), ['a', 'b']);
    assert.equal(r.pairs[1].entity_type, 'drug');
    assert.deepEqual(r.problems.map((p) => p.line), [3, 5, 6, 7, 8]);
    assert.match(r.problems[0].message, /not valid JSON/);
    assert.match(r.problems[3].message, /duplicate/);
    assert.equal(r.truncatedLast, false);
    // Messages never carry the line's content.
    for (const p of r.problems) assert.doesNotMatch(p.message, /zzqx/);
  });

  it('a truncated last line is reported as such and the rest loads', () => {
    const full = line({ id: 'b' });
    const r = parsePairs(`${line({ id: 'a' })}\r\n${full.slice(0, 20)}`);
    assert.deepEqual(r.pairs.map((p) => p.id), ['a']);
    assert.equal(r.truncatedLast, true);
    assert.equal(r.problems[0].line, 2);
    assert.match(r.problems[0].message, /incomplete/);
    // A complete last line without a newline is fine.
    assert.equal(parsePairs(full).pairs.length, 1);
  });

  it('reads suspicion lines; the last line of a pair wins', () => {
    const s = parseSuspicion(
      [
        JSON.stringify({ pair_id: 'a', score: 0.2, reasons: [], version: 1, model_id: 'm' }),
        'nope',
        JSON.stringify({ pair_id: 'a', score: 0.7, reasons: [{ code: 'negated', detail: 'negation trigger' }], version: 1, model_id: 'm' }),
      ].join('\n'),
    );
    assert.equal(s.scores.get('a')!.score, 0.7);
    assert.equal(s.scores.get('a')!.reasons[0].code, 'negated');
    assert.deepEqual(s.problems.map((p) => p.line), [2]);
  });
});
