import * as assert from 'node:assert/strict';
import { chunkNote, chunkWindows, findWords } from '../../../src/sidecar/notes/chunker';
import type { Note } from '../../../src/sidecar/notes/types';

const paper = { words: 100, overlap: 10, minWords: 50 };

function note(text: string, bodyStart = 0): Note {
  return { noteId: 'n1', patientId: 'p1', noteType: '', date: '', source: 'p1/n1.md', row: -1, text, bodyStart };
}

function wordsText(n: number): string {
  return Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
}

describe('chunker', () => {
  describe('findWords', () => {
    it('finds runs of non-whitespace with their offsets', () => {
      const t = '  Chest\tpain,\nHTN  ';
      assert.deepEqual(
        findWords(t).map((w) => t.slice(w.start, w.end)),
        ['Chest', 'pain,', 'HTN'],
      );
      assert.deepEqual(findWords(t)[0], { start: 2, end: 7 });
    });
    it('strips [** ... **] placeholders, also across lines, and splits words at them', () => {
      const t = 'Seen by Dr. [**Name (NI) 123**] on[**2101-1-1**]today [**multi\nline**].';
      const got = findWords(t).map((w) => t.slice(w.start, w.end));
      assert.deepEqual(got, ['Seen', 'by', 'Dr.', 'on', 'today', '.']);
    });
    it('strips runs of 3+ underscores but keeps one or two', () => {
      const t = 'Name: ___ age __ a_b x____y';
      assert.deepEqual(
        findWords(t).map((w) => t.slice(w.start, w.end)),
        ['Name:', 'age', '__', 'a_b', 'x', 'y'],
      );
    });
    it('treats non-breaking and other Unicode spaces as whitespace, but not U+FEFF', () => {
      const t = 'a\u00a0b\u2003c\u3000d\ufeffe';
      assert.deepEqual(
        findWords(t).map((w) => t.slice(w.start, w.end)),
        ['a', 'b', 'c', 'd\ufeffe'],
      );
    });
    it('starts at the body offset', () => {
      const t = '---\nx: y\n---\nhello world';
      assert.deepEqual(findWords(t, 13), [
        { start: 13, end: 18 },
        { start: 19, end: 24 },
      ]);
    });
  });

  describe('chunkWindows', () => {
    it('gives a short note one chunk even under minWords', () => {
      assert.deepEqual(chunkWindows(7, paper), [[0, 7]]);
    });
    it('gives nothing for no words', () => {
      assert.deepEqual(chunkWindows(0, paper), []);
    });
    it('steps by words - overlap', () => {
      assert.deepEqual(chunkWindows(280, paper), [
        [0, 100],
        [90, 190],
        [180, 280],
      ]);
    });
    it('keeps a tail window of at least minWords', () => {
      assert.deepEqual(chunkWindows(150, paper), [
        [0, 100],
        [90, 150],
      ]);
    });
    it('drops a tail window under minWords', () => {
      assert.deepEqual(chunkWindows(139, paper), [[0, 100]]);
      assert.deepEqual(chunkWindows(140, paper), [
        [0, 100],
        [90, 140],
      ]);
    });
    it('emits no window that holds only words an earlier window holds', () => {
      assert.deepEqual(chunkWindows(100, paper), [[0, 100]]);
      assert.deepEqual(chunkWindows(101, paper), [[0, 100]]); // [90,101) has 11 words < 50
    });
    it('survives overlap >= words', () => {
      assert.deepEqual(chunkWindows(3, { words: 2, overlap: 5, minWords: 1 }), [
        [0, 2],
        [1, 3],
      ]);
    });
  });

  describe('chunkNote', () => {
    it('builds ids, ranges and single-space text', () => {
      const text = `${wordsText(95)}\n\n${wordsText(60)}`;
      const chunks = chunkNote(note(text), paper);
      assert.equal(chunks.length, 2);
      assert.equal(chunks[0].id, 'n1::0');
      assert.equal(chunks[1].id, 'n1::1');
      assert.equal(chunks[0].charStart, 0);
      assert.equal(chunks[0].text.split(' ').length, 100);
      assert.equal(chunks[1].text.split(' ').length, 65);
      assert.equal(text.slice(chunks[1].charEnd - 3, chunks[1].charEnd), 'w59');
      assert.ok(!chunks[0].text.includes('\n'));
    });
    it('keeps offsets in the whole file after front matter', () => {
      const text = '---\nnote_id: n1\n---\nFever and cough.';
      const [c] = chunkNote(note(text, 20), paper);
      assert.equal(text.slice(c.charStart, c.charEnd), 'Fever and cough.');
      assert.equal(c.text, 'Fever and cough.');
    });
    it('counts ordinals over emitted chunks only', () => {
      const chunks = chunkNote(note(wordsText(139)), paper);
      assert.deepEqual(
        chunks.map((c) => c.id),
        ['n1::0'],
      );
    });
  });
});
