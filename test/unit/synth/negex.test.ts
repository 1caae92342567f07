import * as assert from 'node:assert/strict';
import { contextsOf, type ContextClass } from '../../../src/sidecar/synth/negex';

/** [sentence, mention (its first occurrence), expected contexts]. */
const TABLE: Array<[string, string, ContextClass[]]> = [
  // negation, pre-triggers
  ['Patient denies chest pain.', 'chest pain', ['negated']],
  ['No evidence of pneumonia on the film.', 'pneumonia', ['negated']],
  ['Negative for deep vein thrombosis.', 'deep vein thrombosis', ['negated']],
  ['She is without fever, chills, or night sweats.', 'night sweats', ['negated']],
  ['Denies fever, chills, nausea, vomiting, diarrhea or abdominal pain.', 'abdominal pain', ['negated']],
  ['He has no history of diabetes.', 'diabetes', ['negated']],
  ['She no longer has chest pain.', 'chest pain', ['negated']],
  ['NKDA. No known drug allergies.', 'drug allergies', ['negated']],
  // negation, post-triggers
  ['Myocardial infarction was ruled out.', 'Myocardial infarction', ['negated']],
  ['Pulmonary embolism is unlikely.', 'Pulmonary embolism', ['negated']],
  // family history
  ['Family history of breast cancer.', 'breast cancer', ['family_history']],
  ['FAMILY HISTORY Mother had diabetes and hypertension.', 'hypertension', ['family_history']],
  ['Her father died of colon cancer at 60.', 'colon cancer', ['family_history']],
  ['Heart disease runs in the family.', 'Heart disease', ['family_history']],
  // hypothetical
  ['Rule out myocardial infarction.', 'myocardial infarction', ['hypothetical']],
  ['CT abdomen to r/o appendicitis.', 'appendicitis', ['hypothetical']],
  ['Return if she develops fever or shortness of breath.', 'shortness of breath', ['hypothetical']],
  ['She is at risk for osteoporosis.', 'osteoporosis', ['hypothetical']],
  ['Start heparin for DVT prophylaxis.', 'DVT', ['hypothetical']],
  ['Possible pneumonia on the right.', 'pneumonia', ['hypothetical']],
  // scope ends: termination terms and sentence ends
  ['Denies chest pain but reports shortness of breath.', 'shortness of breath', []],
  ['No fever. She has a cough.', 'cough', []],
  ['No chest pain; positive for palpitations.', 'palpitations', []],
  ['Rule out sepsis, however the source of the fever is pneumonia.', 'pneumonia', []],
  ['Mother had asthma. The patient has eczema.', 'eczema', []],
  // the trigger word is after the mention, or too far before it
  ['Hypertension, no change in medications.', 'Hypertension', []],
  ['No acute distress. The patient has a long history of poorly controlled hypertension with several admissions over years.', 'hypertension', []],
  // pseudo-triggers: must NOT trigger
  ['The patient has not only hypertension but also diabetes.', 'hypertension', []],
  ['She tolerated the colonoscopy without difficulty and was discharged on aspirin.', 'aspirin', []],
  ['No change in her chronic kidney disease.', 'chronic kidney disease', []],
  ['Gram negative rods in the urine consistent with urinary tract infection.', 'urinary tract infection', []],
  ['Family history is noncontributory. She has asthma.', 'asthma', []],
  ['Take ibuprofen as needed for pain.', 'ibuprofen', []],
  ['No further workup for anemia is planned.', 'anemia', []],
  // plain findings
  ['She has a history of congestive heart failure, depression, and hypertension.', 'hypertension', []],
  ['Dr. Smith started metformin for type 2 diabetes.', 'type 2 diabetes', []],
  ['Status post appendectomy in 2010.', 'appendectomy', []],
];

describe('NegEx-style contexts', () => {
  for (const [sentence, mention, expected] of TABLE) {
    it(`${expected.join('+') || 'none'}: ${sentence}`, () => {
      const start = sentence.indexOf(mention);
      assert.ok(start >= 0);
      const got = contextsOf(sentence, { start, end: start + mention.length }).map((c) => c.cls);
      assert.deepEqual(got.sort(), [...expected].sort());
    });
  }
  it('says where the trigger was', () => {
    const s = 'Myocardial infarction was ruled out.';
    assert.deepEqual(contextsOf(s, { start: 0, end: 21 }), [{ cls: 'negated', position: 'after' }]);
  });
});
