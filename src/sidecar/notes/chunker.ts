/**
 * The paper's preprocessing (docs/CONTRACTS.md, "Notes and chunks"). Pure; the Python trainer reproduces it
 * exactly, checked against test/fixtures/chunks-golden.jsonl.
 *
 * - De-identification placeholders (`[** ... **]` spans and runs of 3+ underscores) are not words and split words.
 * - Words are maximal runs of non-whitespace outside placeholders. Whitespace is exactly Python's `str.isspace`
 *   set (WHITESPACE below), so `re.finditer(r'\S+')` in Python finds the same words.
 * - Offsets are UTF-16 code units of the decoded text (what VS Code positions use).
 * - Windows of `words` words every `words - overlap` words; a window is emitted only if it holds a word no
 *   earlier window holds; windows under `minWords` are dropped unless the note has one window only.
 */
import type { ChunkingOptions, Chunk, Note } from './types';

export const CHUNKER_VERSION = 'drehr-chunker-1';

const WHITESPACE = '\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PLACEHOLDER = /\[\*\*[\s\S]*?\*\*\]|_{3,}/g;
const WORD = new RegExp(`[^${WHITESPACE}]+`, 'g');

export interface Word {
  start: number;
  end: number;
}

/** Words of `text[from, to)`, placeholders removed. */
export function findWords(text: string, from = 0, to = text.length): Word[] {
  const words: Word[] = [];
  const body = text.slice(from, to);
  let last = 0;
  const pushWords = (a: number, b: number): void => {
    WORD.lastIndex = 0;
    const piece = body.slice(a, b);
    for (let m = WORD.exec(piece); m; m = WORD.exec(piece)) {
      words.push({ start: from + a + m.index, end: from + a + m.index + m[0].length });
    }
  };
  PLACEHOLDER.lastIndex = 0;
  for (let m = PLACEHOLDER.exec(body); m; m = PLACEHOLDER.exec(body)) {
    pushWords(last, m.index);
    last = m.index + m[0].length;
  }
  pushWords(last, body.length);
  return words;
}

/** Word index windows [start, end) that become chunks, per the rules above. */
export function chunkWindows(wordCount: number, opts: ChunkingOptions): Array<[number, number]> {
  const size = Math.max(1, Math.floor(opts.words));
  const step = Math.max(1, size - Math.max(0, Math.floor(opts.overlap)));
  const windows: Array<[number, number]> = [];
  let covered = 0;
  for (let s = 0; s < wordCount; s += step) {
    const e = Math.min(s + size, wordCount);
    if (e > covered) {
      windows.push([s, e]);
      covered = e;
    }
    if (e === wordCount) break;
  }
  if (windows.length <= 1) return windows;
  return windows.filter(([s, e]) => e - s >= opts.minWords);
}

/** Word bounds of `text[from:]` in two typed arrays (8 bytes a word: a 50 MB note's ~8M words fit in 64 MB). */
function wordBounds(text: string, from: number): { starts: Int32Array; ends: Int32Array; count: number } {
  let starts = new Int32Array(1024);
  let ends = new Int32Array(1024);
  let count = 0;
  const push = (a: number, b: number): void => {
    if (count === starts.length) {
      const s2 = new Int32Array(count * 2);
      s2.set(starts);
      starts = s2;
      const e2 = new Int32Array(count * 2);
      e2.set(ends);
      ends = e2;
    }
    starts[count] = a;
    ends[count] = b;
    count++;
  };
  const words = (a: number, b: number): void => {
    const re = new RegExp(WORD.source, 'g');
    re.lastIndex = a;
    for (let m = re.exec(text); m && m.index < b; m = re.exec(text)) push(m.index, Math.min(m.index + m[0].length, b));
  };
  const ph = new RegExp(PLACEHOLDER.source, 'g');
  ph.lastIndex = from;
  let last = from;
  for (let m = ph.exec(text); m; m = ph.exec(text)) {
    words(last, m.index);
    last = m.index + m[0].length;
  }
  words(last, text.length);
  return { starts, ends, count };
}

/**
 * A note's chunks one at a time (the indexer writes a huge note in bounded batches). Memory: the word bounds
 * (8 bytes a word) and the chunk being built, not every chunk's text at once.
 */
export function* iterateChunks(note: Note, opts: ChunkingOptions): Generator<Chunk> {
  const w = wordBounds(note.text, note.bodyStart);
  let ordinal = 0;
  for (const [s, e] of chunkWindows(w.count, opts)) {
    const parts: string[] = [];
    for (let i = s; i < e; i++) parts.push(note.text.slice(w.starts[i], w.ends[i]));
    yield {
      id: `${note.noteId}::${ordinal++}`,
      noteId: note.noteId,
      patientId: note.patientId,
      noteType: note.noteType,
      date: note.date,
      source: note.source,
      row: note.row,
      charStart: w.starts[s],
      charEnd: w.ends[e - 1],
      text: parts.join(' '),
    };
  }
}

export function chunkNote(note: Note, opts: ChunkingOptions): Chunk[] {
  return [...iterateChunks(note, opts)];
}
