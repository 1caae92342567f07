import * as assert from 'node:assert/strict';
import { parseFrontMatter } from '../../../src/sidecar/notes/frontmatter';
import { decodeNoteBytes } from '../../../src/sidecar/notes/decode';
import { resolveColumns } from '../../../src/sidecar/notes/columns';
import { noteFormat, parseNoteFile, patientFromPath } from '../../../src/sidecar/notes/parse';

const noMap = { text: '', patientId: '', noteId: '', noteType: '', date: '' };
const opts = { columns: noMap, maxFileBytes: 1000 };
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('note files', () => {
  describe('front matter', () => {
    it('reads flat keys and the body offset', () => {
      const t = '---\npatient_id: p9\nnote_id: "n 1"\ndate: 2031-01-05 # visit\n---\nBody';
      const fm = parseFrontMatter(t);
      assert.deepEqual(fm.fields, { patient_id: 'p9', note_id: 'n 1', date: '2031-01-05' });
      assert.equal(t.slice(fm.bodyStart), 'Body');
    });
    it('handles CRLF', () => {
      const t = '---\r\nnote_id: a\r\n---\r\nBody';
      assert.equal(t.slice(parseFrontMatter(t).bodyStart), 'Body');
    });
    it('treats an unterminated block as no front matter', () => {
      assert.deepEqual(parseFrontMatter('---\nnote_id: a\nBody'), { fields: {}, bodyStart: 0 });
    });
  });

  describe('decode', () => {
    it('rejects NUL bytes as binary', () => {
      assert.deepEqual(decodeNoteBytes(Uint8Array.from([72, 0, 73])), { ok: false, reason: 'binary' });
    });
    it('rejects invalid UTF-8', () => {
      assert.deepEqual(decodeNoteBytes(Uint8Array.from([0x63, 0x61, 0x66, 0xe9])), { ok: false, reason: 'encoding' });
    });
    it('drops a BOM', () => {
      assert.deepEqual(decodeNoteBytes(Uint8Array.from([0xef, 0xbb, 0xbf, 0x41])), { ok: true, text: 'A' });
    });
  });

  describe('columns', () => {
    it('guesses MIMIC-IV and MIMIC-III columns', () => {
      assert.deepEqual(resolveColumns(['note_id', 'subject_id', 'hadm_id', 'note_type', 'charttime', 'text'], noMap), {
        text: 'text',
        patientId: 'subject_id',
        noteId: 'note_id',
        noteType: 'note_type',
        date: 'charttime',
      });
      const m3 = resolveColumns(['ROW_ID', 'SUBJECT_ID', 'CHARTDATE', 'CATEGORY', 'TEXT'], noMap);
      assert.deepEqual(m3, { text: 'TEXT', patientId: 'SUBJECT_ID', noteId: 'ROW_ID', noteType: 'CATEGORY', date: 'CHARTDATE' });
    });
    it('prefers the mapping', () => {
      assert.equal(resolveColumns(['body', 'text'], { ...noMap, text: 'body' }).text, 'body');
      assert.equal(resolveColumns(['text'], { ...noMap, text: 'missing' }).text, undefined);
    });
  });

  it('knows formats and path patients', () => {
    assert.equal(noteFormat('a/b.MD'), 'text');
    assert.equal(noteFormat('a/b.jsonl'), 'jsonl');
    assert.equal(noteFormat('a/b.pdf'), undefined);
    assert.equal(patientFromPath('p1/sub/n.md'), 'sub');
    assert.equal(patientFromPath('n.md'), 'default');
  });

  describe('parseNoteFile', () => {
    it('reads a .md note with front matter', () => {
      const r = parseNoteFile('p1/x.md', enc('---\npatient_id: p7\nnote_id: n7\nnote_type: visit\n---\nFever.'), opts);
      assert.equal(r.problems.length, 0);
      assert.deepEqual({ ...r.notes[0], text: undefined }, { noteId: 'n7', patientId: 'p7', noteType: 'visit', date: '', source: 'p1/x.md', row: -1, text: undefined, bodyStart: 52 });
    });
    it('falls back to path ids without front matter', () => {
      const r = parseNoteFile('p2/visit one.txt', enc('Cough.'), opts);
      assert.equal(r.notes[0].noteId, 'p2/visit one');
      assert.equal(r.notes[0].patientId, 'p2');
    });
    it('reports empty, too large, binary and non-UTF-8 files without text', () => {
      const empty = parseNoteFile('a.md', new Uint8Array(), opts);
      assert.equal(empty.problems[0].severity, 'warning');
      const big = parseNoteFile('a.md', new Uint8Array(2000).fill(65), opts);
      assert.match(big.problems[0].message, /over the .* MB limit/);
      const bin = parseNoteFile('a.txt', Uint8Array.from([1, 0, 2]), opts);
      assert.match(bin.problems[0].message, /binary/);
      const latin = parseNoteFile('a.txt', Uint8Array.from([0x63, 0xe9, 0x20]), opts);
      assert.match(latin.problems[0].message, /UTF-8/);
      for (const r of [empty, big, bin, latin]) assert.equal(r.notes.length, 0);
    });
    it('reads CSV rows, reports the malformed one by row number and keeps the others', () => {
      const csv = 'subject_id,note_id,text\np1,a,"first, note"\np2,b,bad"quote\np3,,third\n';
      const r = parseNoteFile('exp/notes.csv', enc(csv), { ...opts, maxFileBytes: 1e6 });
      assert.deepEqual(
        r.notes.map((n) => [n.noteId, n.patientId, n.row, n.text]),
        [
          ['a', 'p1', 1, 'first, note'],
          ['exp/notes.csv#3', 'p3', 3, 'third'],
        ],
      );
      assert.equal(r.problems.length, 1);
      assert.equal(r.problems[0].row, 2);
      assert.match(r.problems[0].message, /Row 2 \(line 3\)/);
    });
    it('recovers after an unclosed quote, and the message says what was skipped and where reading resumed', () => {
      const csv = 'subject_id,note_id,text\ns01,m01,knee pain one\ns02,m02,"knee pain never closed\ns03,m03,knee pain three\ns04,m04,knee pain four\n';
      const r = parseNoteFile('r/a.csv', enc(csv), { ...opts, maxFileBytes: 1e6 });
      assert.deepEqual(
        r.notes.map((n) => [n.noteId, n.row]),
        [
          ['m01', 1],
          ['m03', 3],
          ['m04', 4],
        ],
      );
      assert.equal(r.problems.length, 1);
      assert.equal(r.problems[0].message, 'Row 2 (line 3) has a quote that is never closed; skipped line 3, reading resumed at line 4. Fix the quoting in that row.');
      assert.ok(!r.problems[0].message.includes('knee'));
    });
    it('never shows the cells of a CSV without a header line', () => {
      const r = parseNoteFile('x/headerless.csv', enc('s1,PHRASE patient has HIV,2030-01-01\n'), { ...opts, maxFileBytes: 1e6 });
      assert.equal(r.problems.length, 1);
      assert.match(r.problems[0].message, /3 columns; if the file has no header line, add one/);
      for (const cell of ['s1', 'PHRASE', 'HIV', '2030']) assert.ok(!r.problems[0].message.includes(cell), cell);
    });
    it('makes repeated note ids in one export unique, with a warning', () => {
      const r = parseNoteFile('x.csv', enc('note_id,text\na,one\na,two\n'), { ...opts, maxFileBytes: 1e6 });
      assert.deepEqual(
        r.notes.map((n) => n.noteId),
        ['a', 'a#2'],
      );
      assert.equal(r.problems[0].severity, 'warning');
    });
    it('says which column is missing', () => {
      const r = parseNoteFile('x.csv', enc('a,b\n1,2\n'), { ...opts, maxFileBytes: 1e6 });
      assert.match(r.problems[0].message, /drehr.columns.text/);
    });
    it('reads JSONL rows by line number and reports bad lines', () => {
      const t = '{"subject_id": 12, "text": "one"}\nnot json\n\n{"subject_id": 13, "text": "two"}\n[1]\n';
      const r = parseNoteFile('x.jsonl', enc(t), { ...opts, maxFileBytes: 1e6 });
      assert.deepEqual(
        r.notes.map((n) => [n.patientId, n.row, n.noteId]),
        [
          ['12', 1, 'x.jsonl#1'],
          ['13', 4, 'x.jsonl#4'],
        ],
      );
      assert.deepEqual(
        r.problems.map((p) => p.row),
        [2, 5],
      );
    });
    it('never puts note text in a problem', () => {
      const secret = 'SECRETWORD';
      const r = parseNoteFile('x.csv', enc(`text,x\n"${secret}"oops,1\n`), { ...opts, maxFileBytes: 1e6 });
      assert.equal(r.problems.length, 1);
      assert.ok(!r.problems[0].message.includes(secret));
    });
  });
});
