import * as assert from 'node:assert/strict';
import { parseAnswer } from '../../../src/sidecar/synth/answerParser';

/** Real-world answer shapes → the entities expected. */
const TABLE: Array<[name: string, answer: string, entities: string[], refusal?: boolean]> = [
  ['one term a line (the asked format)', 'hypertension\ntype 2 diabetes mellitus\nhyperlipidemia', ['hypertension', 'type 2 diabetes mellitus', 'hyperlipidemia']],
  ['dash bullets', '- Hypertension\n- Congestive heart failure\n- Depression', ['hypertension', 'congestive heart failure', 'depression']],
  ['star and dot bullets', '* aspirin\n• metoprolol\n+ lisinopril', ['aspirin', 'metoprolol', 'lisinopril']],
  ['numbering', '1. Colonoscopy\n2) Polypectomy\n(3) EGD', ['colonoscopy', 'polypectomy', 'EGD']],
  ['explanation after a dash', '- Hypertension - mentioned in the history\n- CHF – implied by furosemide', ['hypertension', 'CHF']],
  ['explanation after a colon', 'Aspirin: antiplatelet therapy\nMetformin: for diabetes', ['aspirin', 'metformin']],
  ['explanatory parenthesis', 'Pneumonia (explicitly mentioned)\nSepsis (inferred from fever and tachycardia)', ['pneumonia', 'sepsis']],
  ['meaningful parenthesis kept', 'Diabetes mellitus (type 2)', ['diabetes mellitus (type 2)']],
  ['a header line and a header with values', 'Here are the diagnoses:\n- asthma\nDiagnoses: COPD, emphysema', ['asthma', 'COPD', 'emphysema']],
  ['None', 'None', []],
  ['None with a period, N/A', 'None.\nN/A', []],
  ['no drugs mentioned', 'No drugs mentioned.', []],
  ['duplicates in any case', 'Asthma\nasthma\nASTHMA\n- asthma.', ['asthma']],
  ['JSON array by mistake', '["hypertension", "diabetes"]', ['hypertension', 'diabetes']],
  ['JSON object holding a list', '{"diagnoses": ["hypertension", "gout"]}', ['hypertension', 'gout']],
  ['JSON array of objects', '[{"name": "aspirin", "evidence": "ASA 81"}, {"name": "heparin"}]', ['aspirin', 'heparin']],
  ['JSON in a code fence with prose', 'Sure! Here is the list:\n```json\n["knee arthroscopy", "MRI"]\n```', ['knee arthroscopy', 'MRI']],
  ['plain code fence', '```\nwarfarin\napixaban\n```', ['warfarin', 'apixaban']],
  ['empty JSON list', '[]', []],
  ['refusal', "I'm sorry, but I can't help with extracting information from medical records.", [], true],
  ['refusal, other wording', 'As an AI language model, I cannot provide medical diagnoses.', [], true],
  ['trailing periods and semicolons', 'Hypertension.\nAtrial fibrillation;', ['hypertension', 'atrial fibrillation']],
  ['Title Case lowered, abbreviations and mixed case kept', 'Type 2 Diabetes Mellitus\nCOVID-19\nHbA1c Test', ['type 2 diabetes mellitus', 'COVID-19', 'HbA1c test']],
  ['one comma-separated line', 'hypertension, diabetes, asthma', ['hypertension', 'diabetes', 'asthma']],
  ['a comma inside a term of a one-line answer', 'Diabetes mellitus, type 2', ['diabetes mellitus, type 2']],
  ['semicolon-separated', 'aspirin; clopidogrel; atorvastatin', ['aspirin', 'clopidogrel', 'atorvastatin']],
  ['bold markdown and quotes', '- **Heart failure**\n- "Gout"', ['heart failure', 'gout']],
  ['prose lines dropped', 'The patient appears to have several chronic conditions that are being managed by the primary care physician.\nhypertension', ['hypertension']],
  ['empty answer', '', []],
  ['whitespace only', '   \n \n', []],
  ['garbage', '#### ???? \n ---- \n 12345', []],
  ['checkbox list', '[x] appendectomy\n[ ] cholecystectomy', ['appendectomy', 'cholecystectomy']],
  ['CRLF line ends', 'asthma\r\neczema\r\n', ['asthma', 'eczema']],
];

describe('LLM answer parser', () => {
  for (const [name, answer, entities, refusal] of TABLE) {
    it(name, () => {
      const got = parseAnswer(answer);
      assert.deepEqual(got.entities, entities);
      assert.equal(got.refusal, refusal === true);
    });
  }
  it('marks JSON answers and counts dropped prose without keeping it', () => {
    assert.equal(parseAnswer('["a b"]').json, true);
    const p = parseAnswer('This is a long sentence about the patient that is certainly not an entity name at all.\nasthma');
    assert.equal(p.dropped, 1);
    assert.deepEqual(p.entities, ['asthma']);
  });
});
