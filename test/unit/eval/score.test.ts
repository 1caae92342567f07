import * as assert from 'node:assert/strict';
import type { MatchType } from '../../../src/shared/webview-eval';
import { completeRanking, noteOfChunk, scoreAll, scoreMultiQuery, scoreSingleQuery, type ScoredQuery } from '../../../src/eval/score';

const close = (a: number, b: number, eps = 1e-9): void => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);
const L3 = 1 / Math.log2(3);
const L4 = 1 / Math.log2(4);
const L5 = 1 / Math.log2(5);

const chunks = (note: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${note}::${i}`);

function query(relevant: Record<string, MatchType>, notes: Record<string, string[]>, corpus: string[] = [], type: ScoredQuery['type'] = 'disease', id = 'q'): ScoredQuery {
  return { queryId: id, type, relevant: new Map(Object.entries(relevant)), corpus, notes: new Map(Object.entries(notes)) };
}

describe('eval/score (CliniQ single- and multi-patient)', () => {
  it('noteOfChunk strips the last ::ordinal only', () => {
    assert.equal(noteOfChunk('p1/n1::3'), 'p1/n1');
    assert.equal(noteOfChunk('a::b::12'), 'a::b');
    assert.equal(noteOfChunk('plain'), 'plain');
  });

  it('single-patient: MRR, nDCG over the whole note and MAP for one (query, note) pair', () => {
    const q = query({ 'N::1': 'string', 'N::3': 'synonym' }, { N: chunks('N', 6) });
    const s = scoreSingleQuery(q);
    close(s.overall.mrr[0], 1 / 2);
    close(s.overall.ndcg[0], (L3 + L5) / (1 + L3));
    close(s.overall.map[0], (1 / 2 + 2 / 4) / 2);
  });

  it('single-patient per match type removes the other relevant chunks first', () => {
    const q = query({ 'N::1': 'string', 'N::3': 'synonym' }, { N: chunks('N', 6) });
    const s = scoreSingleQuery(q);
    // string: N::3 removed -> [0,1,2,4,5], relevant N::1 at rank 2
    close(s.byMatch.get('string')!.mrr[0], 1 / 2);
    close(s.byMatch.get('string')!.ndcg[0], L3);
    close(s.byMatch.get('string')!.map[0], 1 / 2);
    // synonym: N::1 removed -> [0,2,3,4,5], relevant N::3 at rank 3
    close(s.byMatch.get('synonym')!.mrr[0], 1 / 3);
    close(s.byMatch.get('synonym')!.ndcg[0], L4);
    close(s.byMatch.get('synonym')!.map[0], 1 / 3);
    assert.equal(s.byMatch.has('hyponym'), false);
  });

  it('single-patient skips a note with fewer than 5 chunks', () => {
    const s = scoreSingleQuery(query({ 'N::1': 'string' }, { N: chunks('N', 4) }));
    assert.equal(s.overall.mrr.length, 0);
    assert.equal(s.byMatch.size, 0);
    const s5 = scoreSingleQuery(query({ 'N::1': 'string' }, { N: chunks('N', 5) }));
    assert.equal(s5.overall.mrr.length, 1);
  });

  it('single-patient skips a note whose chunks are all relevant', () => {
    const all = Object.fromEntries(chunks('N', 5).map((c) => [c, 'string' as MatchType]));
    const s = scoreSingleQuery(query(all, { N: chunks('N', 5) }));
    assert.equal(s.overall.mrr.length, 0);
    assert.equal(s.byMatch.size, 0);
  });

  it('single-patient scores each relevant note of a query as its own pair', () => {
    const q = query({ 'A::0': 'string', 'B::4': 'hyponym', 'C::0': 'string' }, { A: chunks('A', 5), B: chunks('B', 5), C: chunks('C', 3) });
    const s = scoreSingleQuery(q);
    assert.deepEqual(s.overall.mrr, [1, 1 / 5]); // C is too short
    assert.deepEqual(s.byMatch.get('hyponym')!.mrr, [1 / 5]);
  });

  it('multi-patient: MRR, both nDCG@10 and Recall@100 over the corpus ranking', () => {
    const corpus = ['X::0', 'A::0', 'Y::0', 'B::1'];
    const q = query({ 'A::0': 'string', 'B::1': 'abbreviation', 'Z::9': 'string' }, {}, corpus);
    const m = scoreMultiQuery(q);
    close(m.overall.mrr[0], 1 / 2);
    close(m.overall.ndcg10EvalPy[0], (L3 + L5) / (1 + L3));
    close(m.overall.ndcg10[0], (L3 + L5) / (1 + L3 + L4));
    close(m.overall.recall100[0], 2 / 3);
    // abbreviation alone: A::0 and Z::9 removed -> [X::0, Y::0, B::1]
    close(m.byMatch.get('abbreviation')!.mrr[0], 1 / 3);
    close(m.byMatch.get('abbreviation')!.recall100[0], 1);
    // string alone: B::1 removed -> A::0 at rank 2, Z::9 never retrieved
    close(m.byMatch.get('string')!.recall100[0], 1 / 2);
  });

  it('an empty ranking scores 0 and still counts', () => {
    const m = scoreMultiQuery(query({ 'A::0': 'string' }, {}, []));
    assert.deepEqual(m.overall.mrr, [0]);
    assert.deepEqual(m.overall.recall100, [0]);
  });

  it('completeRanking keeps ranked note chunks, drops foreign and repeated ids, appends the rest in a fixed order', () => {
    const note = chunks('N', 6);
    const r1 = completeRanking(['N::4', 'M::0', 'N::4', 'N::1'], note);
    assert.deepEqual(r1.slice(0, 2), ['N::4', 'N::1']);
    assert.deepEqual([...r1].sort(), [...note].sort());
    assert.deepEqual(completeRanking(['N::4', 'N::1'], note), r1);
    assert.deepEqual(completeRanking([], [...note].reverse()), completeRanking([], note));
  });

  it('scoreAll pools (query, note) pairs and queries across query types', () => {
    const q1 = query({ 'A::0': 'string' }, { A: chunks('A', 5) }, ['A::0'], 'disease', 'q1');
    const q2 = query({ 'B::1': 'synonym', 'C::2': 'synonym' }, { B: chunks('B', 5), C: chunks('C', 5) }, ['X::0', 'B::1'], 'drug', 'q2');
    const empty = query({}, {}, ['A::0'], 'procedure', 'q3');
    const t = scoreAll([q1, q2, empty]);
    const row = <T>(rows: { key: string; scores: T }[], key: string): T => rows.find((r) => r.key === key)!.scores;
    // single: pairs (q1,A)=1, (q2,B)=1/2, (q2,C)=1/3
    close(row(t.single, 'overall').mrr, (1 + 1 / 2 + 1 / 3) / 3);
    assert.equal(row(t.single, 'overall').n, 3);
    close(row(t.single, 'drug').mrr, (1 / 2 + 1 / 3) / 2);
    close(row(t.single, 'synonym').mrr, (1 / 2 + 1 / 3) / 2);
    // multi: per query 1 and 1/2; the query without relevant chunks is not scored
    close(row(t.multi, 'overall').mrr, (1 + 1 / 2) / 2);
    assert.equal(row(t.multi, 'overall').n, 2);
    assert.deepEqual(t.single.map((r) => r.key), ['overall', 'disease', 'drug', 'string', 'synonym']);
  });
});
