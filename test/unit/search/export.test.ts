import * as assert from 'node:assert/strict';
import { csvField, parsePatientList, passagesCsv, passagesJsonl, patientListCsv, patientsCsv, patientsJsonl } from '../../../src/shared/export';
import type { PatientHit, SearchHit } from '../../../src/shared/protocol';

const hit = (over: Partial<SearchHit> = {}): SearchHit => ({
  chunkId: 'n1::0', noteId: 'n1', patientId: 'p1', sourcePath: 'notes/a.csv', row: 3, charStart: 0, charEnd: 40,
  score: 0.5, matchedBy: ['dense', 'bm25'], snippet: 'Hx of HTN, "poorly" controlled\non lisinopril', highlights: [], ...over,
});

describe('export', () => {
  it('quotes commas, quotes and newlines', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('cr\rx'), '"cr\rx"');
    assert.equal(csvField(undefined), '');
    assert.equal(csvField(0.25), '0.25');
    assert.equal(csvField(NaN), '');
  });
  it('defuses formula injection (=, +, -, @, tab, CR first)', () => {
    assert.equal(csvField('=HYPERLINK("http://x")'), '"\'=HYPERLINK(""http://x"")"');
    assert.equal(csvField('+1'), "'+1");
    assert.equal(csvField('-2+3'), "'-2+3");
    assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvField('\tx'), "'\tx");
    assert.equal(csvField(-2), '-2'); // a number stays a number
  });
  it('writes passages with a header, one row per hit, ranker and query', () => {
    const csv = passagesCsv([hit(), hit({ noteId: '=cmd', matchedBy: ['bm25'] })], { query: 'htn, uncontrolled' });
    const lines = csv.split('\r\n');
    assert.equal(lines[0], 'rank,patient_id,note_id,note_type,date,source,row,char_start,char_end,score,ranker,query,bundle,snippet');
    assert.ok(lines[1].startsWith('1,p1,n1,,,notes/a.csv,3,0,40,0.5,bm25+dense,"htn, uncontrolled",,"Hx of HTN, ""poorly"" controlled\n'));
    assert.ok(csv.includes("2,p1,'=cmd,"));
    const rows = passagesJsonl([hit()], { bundle: 'heart failure' }).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows[0].bundle, 'heart failure');
    assert.equal(rows[0].query, undefined);
    assert.equal(rows[0].ranker, 'bm25+dense');
  });
  it('writes patients with their best passage, and JSONL with the evidence', () => {
    const p: PatientHit = { patientId: 'p1', score: 0.9, rank: 1, passages: 4, notes: 2, evidence: [hit()] };
    const csv = patientsCsv([p], 'max', { query: 'q' });
    assert.ok(csv.split('\r\n')[1].startsWith('1,p1,0.9,max,4,2,n1,notes/a.csv,3,0,40,bm25+dense,q,'));
    const row = JSON.parse(patientsJsonl([p], 'max', { query: 'q' }));
    assert.equal(row.evidence.length, 1);
    assert.equal(row.evidence[0].note_id, 'n1');
  });
  it('round-trips a patient list, dropping duplicates, blanks and the header', () => {
    const ids = ['p1', 'a,b', '=x', 'say "y"', 'p1'];
    assert.deepEqual(parsePatientList(patientListCsv(ids)), ['p1', 'a,b', '=x', 'say "y"']);
    assert.deepEqual(parsePatientList('\uFEFFsubject_id,age\r\n17,40\n\n18\t3\n'), ['17', '18']);
  });
});
