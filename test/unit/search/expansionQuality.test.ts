import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addedForms, conceptForms, findConcepts, isPlausibleShortForm, isTruncatedStem, isVariantOf } from '../../../src/sidecar/expansion/expand';
import { loadLexicon, type Lexicon } from '../../../src/sidecar/expansion/lexicon';

describe('expansion quality', () => {
  it('recognizes plurals and possessives of another form', () => {
    assert.ok(isVariantOf('dyspneas', 'dyspnea'));
    assert.ok(isVariantOf('breathlessnesses', 'breathlessness'));
    assert.ok(isVariantOf('heart attacks', 'heart attack'));
    assert.ok(isVariantOf('arteries', 'artery'));
    assert.ok(isVariantOf('texidor s twinge', 'texidor twinge'));
    assert.ok(!isVariantOf('heart attack', 'heart attacks'));
    assert.ok(!isVariantOf('dyspnea', 'dyspnea'));
    assert.ok(!isVariantOf('blood pressure', 'high blood pressure'));
  });
  it('recognizes truncated stems and implausible short forms', () => {
    assert.ok(isTruncatedStem('hypertens', ['hypertension']));
    assert.ok(!isTruncatedStem('htn', ['hypertension']));
    assert.ok(!isTruncatedStem('hypertension', ['hypertension']));
    assert.ok(isPlausibleShortForm('htn', ['hypertension'])); // attested in note inventories
    assert.ok(isPlausibleShortForm('hbp', ['high blood pressure'])); // initials
    assert.ok(!isPlausibleShortForm('hpn', ['hypertension']));
    assert.ok(!isPlausibleShortForm('shob', ['shortness of breath', 'dyspnea']));
  });
  it('keeps names, drops 1-2 letter forms unless a confident attested abbreviation', () => {
    const forms = conceptForms('myocardial infarction', {
      id: 'X',
      names: ['myocardial infarction', 'heart attack', 'heart attacks', 'MI', 'AMI'],
      abbreviations: [{ sf: 'mi', share: 0.02 }, { sf: 'hypertens', share: 1 }, { sf: 'ami', share: 0.9 }],
    });
    assert.deepEqual(forms, ['myocardial infarction', 'heart attack', 'ami']);
    assert.deepEqual(conceptForms('diabetes mellitus', { id: 'D', names: ['diabetes mellitus'], abbreviations: [{ sf: 'DM', share: 0.9 }] }), ['diabetes mellitus', 'dm']);
  });

  describe('with the demo model lexicon on common queries', () => {
    const file = path.join(process.cwd(), 'models', 'demo', 'lexicon.json.gz');
    let lex: Lexicon;
    before(function () {
      if (!fs.existsSync(file)) this.skip(); // models/demo is committed; absent only in a partial checkout
      lex = loadLexicon(file);
    });
    const expand = (q: string): string[] => addedForms(q, findConcepts(q, lex));
    const bad = ['pneumonitides', 'cold chronic obstructive lung disease', 'hypertens', 'hpn', 'shob', 'dyspneas', 'breathlessnesses', 'breath shortnesses', 'heart attacks', 'myocardial infarctions', 'chest pains', 'high blood pressures'];
    for (const [q, want] of [
      ['hypertension', ['htn', 'high blood pressure']],
      ['shortness of breath', ['dyspnea', 'sob']],
      ['myocardial infarction', ['heart attack']],
      ['diabetes', []],
      ['copd', ['chronic obstructive pulmonary disease']],
      ['chest pain', []],
      ['pneumonia', ['pneumonitis']],
    ] as const) {
      it(`"${q}" expands without stems, plurals, odd or tiny forms`, () => {
        const got = expand(q);
        for (const w of want) assert.ok(got.includes(w), `${q}: expected ${w} in ${got.join(', ')}`);
        for (const b of bad) assert.ok(!got.includes(b), `${q}: ${b} should not be in ${got.join(', ')}`);
        for (const f of got) {
          assert.ok(f.replace(/[^a-z0-9]/g, '').length >= 3 || ['dm', 'mi'].includes(f), `${q}: ${f} is too short`);
          assert.ok(!got.some((g) => isVariantOf(f, g)), `${q}: ${f} is a plural of another expansion`);
        }
      });
    }
  });
});
