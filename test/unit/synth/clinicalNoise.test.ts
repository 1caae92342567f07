import * as assert from 'node:assert/strict';
import type { EntityType } from '../../../src/shared/pairs';
import { parseGraph } from '../../../src/sidecar/graph/graph';
import { EntityMatcher } from '../../../src/sidecar/graph/matcher';
import { analyteOf, clinicalReasons } from '../../../src/sidecar/synth/clinicalNoise';
import { literalSpans } from '../../../src/sidecar/synth/evidence';

// A small graph shaped like the shipped one: a MeSH-like chemistry tree for drugs, a disease tree.
const concepts: Record<string, unknown>[] = [
  { id: 'C:amines', name: 'amines', type: 'drug' },
  { id: 'C:aminoalc', name: 'amino alcohols', parents: ['C:amines'], type: 'drug' },
  { id: 'C:ethanolamines', name: 'ethanolamines', parents: ['C:aminoalc'], type: 'drug' },
  { id: 'C:albuterol', name: 'albuterol', synonyms: ['salbutamol'], parents: ['C:ethanolamines'], type: 'drug' },
  { id: 'C:guan', name: 'guanidines', type: 'drug' },
  { id: 'C:biguanides', name: 'biguanides', parents: ['C:guan'], type: 'drug' },
  { id: 'C:metformin', name: 'metformin', parents: ['C:biguanides'], type: 'drug' },
  { id: 'C:insulin', name: 'insulin', type: 'drug' },
  { id: 'C:lispro', name: 'insulin lispro', parents: ['C:insulin'], type: 'drug' },
  { id: 'C:alkali', name: 'metals, alkali', type: 'drug' },
  { id: 'C:potassium', name: 'potassium', abbreviations: [['k', 0.6]], parents: ['C:alkali'], type: 'drug' },
  { id: 'C:glucose', name: 'glucose', type: 'drug' },
  { id: 'C:penicillin', name: 'penicillin', type: 'drug' },
  { id: 'C:lisinopril', name: 'lisinopril', type: 'drug' },
  { id: 'D:disease', name: 'disease', type: 'disease' },
  { id: 'D:cvd', name: 'cardiovascular disease', parents: ['D:disease'], type: 'disease' },
  { id: 'D:htn', name: 'hypertension', abbreviations: [['htn', 1]], parents: ['D:cvd'], type: 'disease' },
  { id: 'D:hf', name: 'heart failure', parents: ['D:cvd'], type: 'disease' },
  { id: 'D:asthma', name: 'asthma', parents: ['D:lung'], type: 'disease' },
  { id: 'D:lung', name: 'lung disease', parents: ['D:disease'], type: 'disease' },
  { id: 'D:gout', name: 'gout', parents: ['D:disease'], type: 'disease' },
  { id: 'D:dm', name: 'diabetes mellitus', parents: ['D:disease'], type: 'disease' },
  // leaves, so that the categories above are a realistic share of the diseases
  ...Array.from({ length: 12 }, (_, i) => ({ id: `D:x${i}`, name: `disorder number ${i}`, parents: ['D:disease'], type: 'disease' })),
];
const graph = parseGraph(concepts.map((c) => JSON.stringify(c)).join('\n'));
const matcher = new EntityMatcher(graph);
const byName = new Map([...graph.concepts.values()].map((c) => [c.name, c.id]));

function codes(entity: string, type: EntityType, text: string, explicit?: boolean): string[] {
  const spans = literalSpans(text, entity);
  const id = byName.get(entity);
  return clinicalReasons({ entity, entityType: type, ...(explicit !== undefined ? { explicit } : {}), concepts: id ? [id] : [], text, spans, mentions: matcher.find(text), graph })
    .map((r) => r.code)
    .sort();
}

describe('synth/clinicalNoise: suspicion reasons from clinical language', () => {
  it('lab analytes paired as drugs: always for lab-only analytes, in a result context for the ones also given as drugs', () => {
    assert.deepEqual(codes('hemoglobin', 'drug', 'Hemoglobin 9.8, stable.'), ['lab_value']);
    assert.deepEqual(codes('creatinine', 'drug', 'Creatinine trending down.'), ['lab_value']);
    assert.deepEqual(codes('potassium', 'drug', 'BMP: sodium 138, potassium 3.2, chloride 101.'), ['lab_value']);
    assert.deepEqual(codes('potassium', 'drug', 'Labs notable for potassium of 5.9.'), ['lab_value']);
    assert.deepEqual(codes('glucose', 'drug', 'Fingerstick glucose 145 mg/dL this morning.'), ['lab_value']);
    assert.deepEqual(codes('potassium', 'drug', 'Low potassium, repleted.'), ['lab_value']);
    // the same analytes as drugs: a dose, a salt, supplement words, a start verb
    assert.deepEqual(codes('potassium', 'drug', 'Potassium 20 mEq PO twice daily.'), []);
    assert.deepEqual(codes('potassium', 'drug', 'Started potassium supplement.'), []);
    assert.deepEqual(codes('glucose', 'drug', 'Given glucose 15 g orally for hypoglycemia.'), []);
    assert.deepEqual(codes('potassium', 'drug', 'K 3.1 this morning; potassium 40 mEq given.'), [], 'one mention read as a dose keeps it a drug');
    // named as a measurement
    assert.deepEqual(codes('serum potassium', 'drug', 'Serum potassium low.'), ['lab_value']);
    assert.deepEqual(codes('magnesium level', 'drug', 'Magnesium level pending.'), ['lab_value']);
    assert.equal(analyteOf('Serum Potassium Level'), 'potassium');
    // only as a drug: a lab analyte as a diagnosis is another question
    assert.deepEqual(codes('hemoglobin', 'diagnosis', 'Hemoglobin 9.8.'), []);
  });

  it('chemical-structure classes as drugs; clinical drug classes and substances with children are not', () => {
    assert.deepEqual(codes('ethanolamines', 'drug', 'Albuterol inhaler as needed.'), ['chemical_class']);
    assert.deepEqual(codes('metals, alkali', 'drug', 'Potassium chloride 20 mEq.'), ['chemical_class']);
    assert.deepEqual(codes('biguanides', 'drug', 'Metformin 500 mg twice daily.'), []);
    assert.deepEqual(codes('insulin', 'drug', 'Insulin sliding scale.'), []);
    // outside the graph: chemical morphemes in the plural
    assert.deepEqual(codes('phenylpropanolamines', 'drug', 'Phenylpropanolamine for congestion.'), ['chemical_class']);
    assert.deepEqual(codes('beta-adrenergic blockers', 'drug', 'On lisinopril.'), []);
    // a pharmacological class with no drug in the chunk at all is unsupported
    assert.deepEqual(codes('beta-adrenergic blockers', 'drug', 'Asthma, well controlled.'), ['unsupported']);
    assert.deepEqual(codes('antihypertensive agents', 'drug', 'On lisinopril.'), []);
  });

  it('generic hypernyms: the top words of a type, and graph categories over a tenth of their type', () => {
    assert.deepEqual(codes('disease', 'diagnosis', 'Hypertension, well controlled.'), ['generic_entity']);
    assert.deepEqual(codes('procedure', 'procedure', 'Echocardiogram done.'), ['generic_entity']);
    assert.deepEqual(codes('pharmaceutical preparations', 'drug', 'On lisinopril.'), ['generic_entity']);
    assert.deepEqual(codes('organic chemical', 'drug', 'On lisinopril.'), ['generic_entity']);
    // cardiovascular disease: 2 of 20 diseases below it (10%) in this small graph; lung disease (1 of 20) is not
    assert.deepEqual(codes('cardiovascular disease', 'diagnosis', 'Known HTN.', false), ['generic_entity']);
    assert.deepEqual(codes('gout', 'diagnosis', 'Gout flare of the left toe.', true), []);
  });

  it('unsupported implicit pairs: nothing in the chunk leads to them', () => {
    // a hypernym of a mention is supported; so is an entity sharing a word stem with the chunk
    assert.deepEqual(codes('lung disease', 'diagnosis', 'Asthma, uses albuterol.', false), []);
    assert.deepEqual(codes('diabetes mellitus', 'diagnosis', 'Diabetic foot exam normal.', false), []);
    assert.deepEqual(codes('gout', 'diagnosis', 'Asthma, uses albuterol.', false), ['unsupported']);
    assert.deepEqual(codes('zorblax fever', 'diagnosis', 'Asthma, uses albuterol.', false), ['unsupported']);
    // explicit pairs are no_evidence's business, not this one's
    assert.deepEqual(codes('gout', 'diagnosis', 'Asthma, uses albuterol.', true), []);
  });

  it('drugs the note says were stopped or the patient is allergic to', () => {
    assert.deepEqual(codes('penicillin', 'drug', 'Allergic to penicillin (hives).'), ['stopped_or_allergic']);
    assert.deepEqual(codes('penicillin', 'drug', 'ALLERGIES: sulfa, penicillin.'), ['stopped_or_allergic']);
    assert.deepEqual(codes('metformin', 'drug', 'Metformin was discontinued due to GI upset.'), ['stopped_or_allergic']);
    assert.deepEqual(codes('lisinopril', 'drug', 'Held lisinopril for hypotension.'), ['stopped_or_allergic']);
    assert.deepEqual(codes('lisinopril', 'drug', 'Intolerant of lisinopril because of cough.'), ['stopped_or_allergic']);
    assert.deepEqual(codes('lisinopril', 'drug', 'Continue lisinopril 10 mg daily.'), []);
    assert.deepEqual(codes('lisinopril', 'drug', 'Lisinopril held yesterday. Restarted lisinopril today.'), [], 'one mention outside the context is enough');
    assert.deepEqual(codes('metformin', 'drug', 'No known drug allergies. On metformin.'), []);
  });

  it('details never carry note text', () => {
    const text = 'Allergic to penicillin. Zorblax 3.2. Hemoglobin 9.8.';
    for (const [e, t] of [['penicillin', 'drug'], ['hemoglobin', 'drug'], ['zorblax', 'diagnosis']] as const) {
      for (const r of clinicalReasons({ entity: e, entityType: t, explicit: false, concepts: [], text, spans: literalSpans(text, e), mentions: matcher.find(text), graph })) {
        assert.doesNotMatch(r.detail, /zorblax|penicillin|hemoglobin|allergic/i);
      }
    }
  });
});
