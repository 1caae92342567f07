import * as assert from 'node:assert/strict';
import { addedForms, findConcepts, fuseConcept } from '../../../src/sidecar/expansion/expand';
import { buildLexicon, cleanName, isSearchableShortForm } from '../../../src/sidecar/expansion/lexicon';

const lex = buildLexicon({
  concepts: [
    { id: 'C1', names: ['hypertension', 'high blood pressure'], abbreviations: [{ sf: 'HTN', share: 0.98 }], children: [] },
    { id: 'C2', names: ['blood'], abbreviations: [] },
    { id: 'C3', names: ['multiple sclerosis'], abbreviations: [{ sf: 'MS', share: 0.4 }] },
    { id: 'C4', names: ['mitral stenosis'], abbreviations: [{ sf: 'MS', share: 0.2 }] },
    { id: 'C5', names: ['congestive heart failure', 'CHF'], abbreviations: [] },
    { id: 'bad' },
  ],
});

describe('query expansion', () => {
  it('cleans source qualifiers out of names and drops short forms that are not words', () => {
    assert.equal(cleanName('High blood pressure (& [essential hypertension])'), 'High blood pressure');
    assert.equal(cleanName('Asthma (disorder)'), 'Asthma');
    assert.equal(cleanName('[X]Depressive episode'), 'Depressive episode');
    assert.equal(cleanName('(finding)'), '');
    assert.equal(cleanName('Diabetes mellitus (type 2)'), 'Diabetes mellitus (type 2)', 'meaningful parentheses stay');
    for (const ok of ['htn', 'MI', 'b/l', 'q.i.d', 't-cell', 'k2']) assert.ok(isSearchableShortForm(ok), ok);
    for (const bad of ['bp+', '?MI', '+', '', 'a b']) assert.ok(!isSearchableShortForm(bad), bad);
    const l = buildLexicon({ concepts: [{ id: 'H', names: ['hypertension', 'High blood pressure (& [essential hypertension])', 'Hypertension (disorder)'], abbreviations: [{ sf: 'bp+', share: 1 }, { sf: 'htn', share: 1 }] }] });
    assert.deepEqual(l.concepts[0].names, ['hypertension', 'High blood pressure']);
    assert.deepEqual(l.concepts[0].abbreviations.map((a) => a.sf), ['htn']);
    assert.ok(l.terms.has('high blood pressure') && !l.terms.has('bp'));
  });
  it('skips malformed concepts', () => {
    assert.equal(lex.concepts.length, 5);
    assert.throws(() => buildLexicon({}), /concepts/);
  });
  it('finds concepts by longest match, abbreviations included', () => {
    const found = findConcepts('History of HIGH blood pressure and CHF', lex);
    assert.deepEqual(
      found.map((f) => [f.id, f.matched]),
      [
        ['C1', 'high blood pressure'],
        ['C5', 'chf'],
      ],
    );
    assert.deepEqual(found[0].forms, ['high blood pressure', 'hypertension', 'htn']);
  });
  it('matches an abbreviation only when its share is high enough', () => {
    assert.deepEqual(
      findConcepts('MS flare', lex).map((f) => f.id),
      ['C3'],
    );
    assert.deepEqual(findConcepts('HTN', lex)[0].forms, ['htn', 'hypertension', 'high blood pressure']);
  });
  it('reports only forms the query does not already hold', () => {
    assert.deepEqual(addedForms('htn follow up', findConcepts('htn follow up', lex)), ['hypertension', 'high blood pressure']);
    assert.deepEqual(findConcepts('gout', lex), []);
  });
  it('scores a chunk by its best form within a concept, never by the sum', () => {
    const byForm = [
      [
        { item: 'a', score: 2 },
        { item: 'b', score: 1.5 },
      ],
      [
        { item: 'a', score: 1 },
        { item: 'c', score: 3 },
      ],
      [{ item: 'a', score: 1.9 }],
    ];
    assert.deepEqual(fuseConcept(byForm, (x) => x), [
      { item: 'c', score: 3 },
      { item: 'a', score: 2 },
      { item: 'b', score: 1.5 },
    ]);
  });
});
