import * as assert from 'node:assert/strict';
import { highlightSpans, makeSnippet, mergeSpans } from '../../../src/sidecar/store/snippet';
import { matchedForms } from '../../../src/sidecar/search';

const marked = (t: string, spans: { start: number; end: number }[]) => spans.map((s) => t.slice(s.start, s.end));

describe('highlight spans', () => {
  it('marks query words case-insensitively, with 4+ letter prefixes', () => {
    const t = 'Hypertensive urgency; HYPERTENSION noted.';
    assert.deepEqual(marked(t, highlightSpans(t, ['hypertension'])), ['HYPERTENSION']);
    assert.deepEqual(marked(t, highlightSpans(t, ['hypertens'])), ['Hypertensive', 'HYPERTENSION']);
  });
  it('marks matched expansions as whole token sequences, abbreviations included', () => {
    const t = 'Hx HTN and high  blood\npressure; htnx is not it. S/P CABG.';
    assert.deepEqual(marked(t, highlightSpans(t, [], ['htn', 'high blood pressure', 's/p'])), ['HTN', 'high  blood\npressure', 'S/P']);
  });
  it('merges overlapping and touching spans', () => {
    const t = 'shortness of breath';
    assert.deepEqual(marked(t, highlightSpans(t, ['shortness', 'breath'], ['shortness of breath'])), ['shortness of breath']);
    assert.deepEqual(mergeSpans([{ start: 5, end: 8 }, { start: 0, end: 3 }, { start: 3, end: 4 }, { start: 7, end: 10 }, { start: 12, end: 12 }]), [
      { start: 0, end: 4 },
      { start: 5, end: 10 },
    ]);
  });
  it('carries expansion spans into the snippet', () => {
    const s = makeSnippet('Known HTN, on lisinopril.', ['lisinopril'], 240, ['htn']);
    assert.deepEqual(marked(s.snippet, s.highlights), ['HTN', 'lisinopril']);
  });
  it('finds which expansions a passage holds', () => {
    assert.deepEqual(matchedForms('Pt with SOB and high blood pressure.', ['sob', 'high blood pressure', 'dyspnea', 'blood pressure high']), ['sob', 'high blood pressure']);
    assert.deepEqual(matchedForms('anything', []), []);
  });
});
