import * as assert from 'node:assert/strict';
import { buildLexicon } from '../../../src/sidecar/expansion/lexicon';
import { countWords, editCost, letterMask, makeVocabulary, maskBound, suggestQuery, suggestWord, type Vocabulary } from '../../../src/sidecar/expansion/spelling';
import { lexiconWords, Speller, type VocabularySource } from '../../../src/sidecar/vocabulary';
import type { RankedChunk } from '../../../src/sidecar/store/store';

/** A small clinical vocabulary with plausible counts (neighbours included on purpose: diabetic, pneumonitis, hypertensive). */
const COUNTS: Record<string, number> = {
  diabetes: 120, diabetic: 40, diabetics: 3, pneumonia: 300, pneumonitis: 10, hypertension: 150, hypertensive: 30,
  metformin: 60, metoprolol: 40, insulin: 70, hemorrhage: 25, arrhythmia: 18, tachycardia: 22, cholesterol: 30,
  seizure: 35, seizures: 12, asthma: 45, schizophrenia: 8, occurred: 20, abdominal: 90, abdomen: 60, edema: 50,
  patient: 900, denies: 200, chest: 150, pain: 300, the: 5000, and: 4000, with: 2000, ileum: 300, ilium: 1, pneumonai: 1,
  copd: 15, htn: 40, sob: 25, diarrhea: 30, vomiting: 40, bradycardia: 12, amoxicillin: 9, prednisone: 20, prednisolone: 6,
  ibuprofen: 25, dyspnea: 60, cirrhosis: 7,
};

function vocab(protectedWords: string[] = ['htn', 'copd', 'sob', 'chf', 'cabg'], lexicon: string[] = ['ilium', 'ileum']): Vocabulary {
  return makeVocabulary(new Map(Object.entries(COUNTS)), protectedWords, lexicon);
}

describe('spelling suggestions', () => {
  const v = vocab();
  const fix = async (q: string): Promise<string | undefined> => (await suggestQuery(q, v))?.query;

  it('corrects common clinical misspellings', async () => {
    const cases: Array<[string, string]> = [
      ['diabetis', 'diabetes'],
      ['pnuemonia', 'pneumonia'],
      ['hypertenion', 'hypertension'],
      ['metforman', 'metformin'],
      ['hemorrage', 'hemorrhage'],
      ['arrythmia', 'arrhythmia'],
      ['tachycardai', 'tachycardia'],
      ['cholestrol', 'cholesterol'],
      ['siezure', 'seizure'],
      ['asthama', 'asthma'],
      ['schizophernia', 'schizophrenia'],
      ['ocurred', 'occurred'],
      ['abdomnal', 'abdominal'],
      ['diarrea', 'diarrhea'],
      ['diarrhoea', 'diarrhea'],
      ['vomitting', 'vomiting'],
      ['bradicardia', 'bradycardia'],
      ['amoxicilin', 'amoxicillin'],
      ['predisone', 'prednisone'],
      ['ibuprofin', 'ibuprofen'],
      ['dyspnoea', 'dyspnea'],
      ['cirrosis', 'cirrhosis'],
    ];
    for (const [typed, want] of cases) assert.equal(await fix(typed), want, typed);
  });

  it('corrects only the misspelled words of a query and keeps the rest as typed', async () => {
    const s = await suggestQuery('Pnuemonia with diabetis, HTN', v);
    assert.equal(s?.query, 'Pneumonia with diabetes, HTN');
    assert.deepEqual(s?.corrections.map((c) => [c.from, c.to]), [['pnuemonia', 'pneumonia'], ['diabetis', 'diabetes']]);
  });

  it('leaves known words, abbreviations, capitals, short words and words with digits alone', async () => {
    for (const q of ['diabetes', 'chest pain', 'HTN', 'htn', 'copd', 'SOB', 'CHF', 'cabg', 'CABGX', 'hba1c', 'b12', 'dmx', 'MEFORMIN']) {
      assert.equal(await fix(q), undefined, q);
    }
  });

  it('while typing, a last word that begins a longer known word is left alone; a finished query gets its correction', async () => {
    assert.equal((await suggestQuery('pneum', v, { typing: true }))?.query, undefined);
    assert.equal((await suggestQuery('chest abdom', v, { typing: true }))?.query, undefined);
    assert.equal((await suggestQuery('pneum', v))?.query, undefined, 'nothing is near enough');
    assert.equal((await suggestQuery('diabetis pneum', v, { typing: true }))?.query, 'diabetes pneum');
    assert.equal((await suggestQuery('hypertensio', v, { typing: true }))?.query, 'hypertension', 'one letter short is a slip even while typing');
    assert.equal((await suggestQuery('hypertensio', v))?.query, 'hypertension');
  });

  it('suggests nothing for a word with no near neighbour', async () => {
    assert.equal(await fix('xylophone'), undefined);
    assert.equal(await fix('zzzzqqq'), undefined);
  });

  it('never suggests a protected abbreviation', () => {
    // "htnn" is one edit from the abbreviation "htn" and far from everything else.
    assert.equal(suggestWord('htnn', v), undefined);
  });

  it('a rare index word is corrected only towards a far more frequent word, and never when the lexicon knows it', () => {
    assert.equal(suggestWord('pneumonai', v)?.to, 'pneumonia');
    assert.equal(suggestWord('ilium', v), undefined);
    assert.equal(suggestWord('diabetics', v), undefined, 'diabetic is 13 times as frequent, not 100');
  });

  it('frequency breaks ties between words at the same cost', () => {
    const w = makeVocabulary(new Map([['diabetes', 5], ['diabetic', 500]]), []);
    // s→c and i→e: a vowel slip is cheaper, but 100 times the frequency outweighs the difference.
    assert.equal(suggestWord('diabetis', w)?.to, 'diabetic');
    const w2 = makeVocabulary(new Map([['diabetes', 50], ['diabetic', 60]]), []);
    assert.equal(suggestWord('diabetis', w2)?.to, 'diabetes');
  });

  it('asks whether a word is in the part of the index the vocabulary did not read', async () => {
    const asked: string[] = [];
    const inIndex = async (word: string): Promise<boolean> => {
      asked.push(word);
      return word !== 'pnuemonia';
    };
    assert.equal(await suggestQuery('pnuemonia', v, { stillUnknown: inIndex }), undefined);
    assert.equal((await suggestQuery('diabetis', v, { stillUnknown: inIndex }))?.query, 'diabetes');
    assert.deepEqual(asked, ['pnuemonia', 'diabetis']);
  });

  it('edit costs: a swap, a vowel and a doubled letter are cheap; the first letter is dear; past the bound is Infinity', () => {
    assert.equal(editCost('pnuemonia', 'pneumonia'), 0.7);
    assert.equal(editCost('metforman', 'metformin'), 0.5);
    assert.equal(editCost('ocurred', 'occurred'), 0.5);
    assert.equal(editCost('hypertenion', 'hypertension'), 1);
    assert.equal(editCost('diabetes', 'diabetes'), 0);
    assert.ok(editCost('kidney', 'sidney') > 1);
    assert.equal(editCost('abcdefgh', 'zyxwvuts'), Infinity);
    assert.equal(editCost('pain', 'painfulness'), Infinity);
  });

  it('the letter-mask bound never exceeds the edit cost (so the candidate scan drops no word it should keep)', () => {
    let seed = 7;
    const rnd = (n: number): number => (seed = (seed * 16807) % 2147483647) % n;
    const word = (): string => Array.from({ length: 4 + rnd(6) }, () => 'aeioubcdrstmny'[rnd(14)]).join('');
    let compared = 0;
    for (let i = 0; i < 3000; i++) {
      const a = word();
      const b = rnd(2) ? word() : a.slice(0, 2) + 'aeiou'[rnd(5)] + a.slice(3);
      const cost = editCost(a, b, 100);
      assert.ok(maskBound(letterMask(a), letterMask(b)) <= cost + 1e-9, `${a} ${b}`);
      compared++;
    }
    assert.equal(compared, 3000);
  });

  it('counts words of 3 to 30 letters, lowercase, no digits', () => {
    const counts = new Map<string, number>();
    countWords('Chest pain, chest X-ray 2x; BP 120/80 and HbA1c.', counts);
    assert.deepEqual([...counts.entries()].sort(), [['and', 1], ['chest', 2], ['pain', 1], ['ray', 1]]);
  });

  it('takes the lexicon\'s names as words and its abbreviations (and attested short forms) as protected', async () => {
    const lex = buildLexicon({
      concepts: [
        { id: 'D1', names: ['Hypertension', 'high blood pressure'], abbreviations: [{ sf: 'HTN', share: 0.9 }] },
        { id: 'D2', names: ['Pneumonia'], abbreviations: [{ sf: 'PNA', share: 0.6 }] },
      ],
    });
    const words = lexiconWords(lex);
    assert.ok(words.counts.has('hypertension') && words.counts.has('pressure'));
    assert.ok(words.abbreviations.has('htn') && words.abbreviations.has('pna'));
    assert.ok(words.abbreviations.has('abd'), 'an attested short form');
    const lv = makeVocabulary(words.counts, words.abbreviations, words.counts.keys());
    assert.equal((await suggestQuery('hypertenion pnuemonia', lv))?.query, 'hypertension pneumonia');
  });

  describe('the vocabulary of a changing index (Speller)', () => {
    const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
    /** A store whose text scan finishes when the test says so; bm25 finds the words of `indexed`. */
    function fakeStore(texts: string[]): VocabularySource & { scans: number; finish: () => void; indexed: Set<string>; lookups: string[] } {
      const waiting: Array<() => void> = [];
      const fake = {
        scans: 0,
        indexed: new Set<string>(),
        lookups: [] as string[],
        finish: () => waiting.splice(0).forEach((f) => f()),
        scanTexts: async (limit: number, onText: (t: string) => void): Promise<number> => {
          fake.scans++;
          await new Promise<void>((r) => waiting.push(r));
          texts.slice(0, limit).forEach(onText);
          return Math.min(limit, texts.length);
        },
        bm25: async (word: string): Promise<RankedChunk[]> => {
          fake.lookups.push(word);
          return fake.indexed.has(word) ? [{} as RankedChunk] : [];
        },
      };
      return fake;
    }
    const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

    it('reads once per index version, one read at a time; a stale vocabulary looks words up until it is read again', async () => {
      let clock = 0;
      const store = fakeStore(['The patient has pneumonia and diabetes.', 'Pneumonia again.']);
      const sp = new Speller(undefined, quiet, { refreshMs: 1000, now: () => clock });
      // A search with results does not wait for the first read.
      assert.equal(await sp.suggest('pnuemonia', store, 'v1', { wait: false, typing: false }), undefined);
      await settle(); // the read starts after the search that asked
      assert.equal(store.scans, 1);
      // The index changed while reading: no second read.
      assert.equal(await sp.suggest('pnuemonia', store, 'v2', { wait: false, typing: false }), undefined);
      assert.equal(store.scans, 1);
      store.finish();
      await settle();
      assert.equal((await sp.suggest('pnuemonia', store, 'v1', { wait: false, typing: false }))?.query, 'pneumonia');
      assert.deepEqual(store.lookups, [], 'a complete, current vocabulary needs no look-up');
      // A newer version within refreshMs: the old vocabulary, with look-ups (the word may have been indexed since).
      store.indexed.add('pnuemonia');
      clock = 500;
      assert.equal(await sp.suggest('pnuemonia', store, 'v3', { wait: false, typing: false }), undefined);
      assert.deepEqual(store.lookups, ['pnuemonia']);
      assert.equal(store.scans, 1);
      // Past refreshMs: read again; meanwhile the old one serves.
      clock = 2000;
      store.indexed.clear();
      assert.equal((await sp.suggest('pnuemonia', store, 'v3', { wait: false, typing: false }))?.query, 'pneumonia');
      await settle();
      assert.equal(store.scans, 2);
      // A search without results waits for the new read.
      const waiting = sp.suggest('diabetis', store, 'v3', { wait: true, typing: false });
      await settle();
      store.finish();
      assert.equal((await waiting)?.query, 'diabetes');
      assert.equal(store.scans, 2);
    });
  });
});
