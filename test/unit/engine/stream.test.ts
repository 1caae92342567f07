/**
 * The streaming export reader (notes/csvStream.ts, notes/stream.ts) against the whole-file reader (csv.ts,
 * parse.ts): the same records and notes on every CSV case of the csv tests and the recovery fixture, read a few bytes
 * at a time so quoted fields, CRLF and multi-byte characters are cut across reads; resume from any record boundary;
 * the per-note size limit.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCsv, type CsvRecord } from '../../../src/sidecar/notes/csv';
import { streamCsv, type StreamPos } from '../../../src/sidecar/notes/csvStream';
import { parseNoteFile } from '../../../src/sidecar/notes/parse';
import { streamNotes, type NoteStreamItem } from '../../../src/sidecar/notes/stream';
import type { Note, Problem } from '../../../src/sidecar/notes/types';

const BIG = 1 << 20;
const COLS = { text: '', patientId: '', noteId: '', noteType: '', date: '' };
let dir: string;
let n = 0;
function write(content: string | Buffer, ext = 'csv'): string {
  const f = path.join(dir, `f${n++}.${ext}`);
  fs.writeFileSync(f, content);
  return f;
}

async function streamedRecords(file: string, readChunk: number, start?: StreamPos, header?: string[]): Promise<{ header: string[]; records: CsvRecord[]; ends: StreamPos[] }> {
  const out = { header: header ?? [], records: [] as CsvRecord[], ends: [] as StreamPos[] };
  for await (const item of streamCsv(file, { start, header, maxRecordBytes: BIG, readChunk })) {
    if (item.kind === 'header') out.header = item.header;
    else {
      out.records.push(item.rec);
      out.ends.push(item.end);
    }
  }
  return out;
}

async function collect(file: string, rel: string, opts: { readChunk?: number; start?: StreamPos; maxNoteBytes?: number; seenIds?: Set<string> } = {}): Promise<NoteStreamItem[]> {
  const out: NoteStreamItem[] = [];
  for await (const item of streamNotes(file, rel, { columns: COLS, maxNoteBytes: opts.maxNoteBytes ?? BIG, readChunk: opts.readChunk, start: opts.start, seenIds: opts.seenIds })) out.push(item);
  return out;
}

const notesOf = (items: NoteStreamItem[]): Note[] => items.flatMap((i) => (i.kind === 'note' ? [i.note] : []));
const problemsOf = (items: NoteStreamItem[]): Problem[] => items.flatMap((i) => (i.kind === 'problem' ? [i.problem] : []));
const byRow = (a: Problem, b: Problem): number => (a.row ?? 0) - (b.row ?? 0) || a.message.localeCompare(b.message);

const CASES = [
  'id,text\n1,"a, ""b""\nc"\r\n2,plain\n',
  'id,text\r\n1,a\r\n2,b\r\n',
  '\ufeffid,text\n1,x',
  'id,text\n1,a\n2,b,extra\n3,c\n',
  'id,text\n1,a\n2,b"x\n3,c\n',
  'id,text\n1,"a"b\n2,c\n',
  'subject_id,note_id,text\ns01,m01,one\ns02,m02,"never closed\ns03,m03,three\ns04,m04,four\n',
  'id,text\n1,"multi\nline"oops\n2,c\n3,"m\nn"\n4,d',
  'a,b,c\n1,2,3\n4,5,"open\nx\ny\n',
  'id,text\n1,a\n\n2,b\n',
  'id,text\n1,"é ü 😀\nß"\n2,"x"y\n3,z\n',
  'id,text\r\n1,"CRLF\r\ninside ""quotes"""\r\n\r\n2,"x"\r\n',
  'note_id,subject_id,text\nn1,p1,"first"\nn1,p1,"same id again"\nn2,p2,"  "\nn3,p3,"third, with\n""quotes"" and\nlines"\n',
  'id,text\r1,a\r2,"b\rc"\r3,"x"y\r',
  'id,text\n1,"a""\n2,b\n3,c\n',
];

describe('streaming CSV reader', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-stream-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives the same records as parseCsv on every case, whatever the read size', async () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(process.cwd(), 'test', 'fixtures', 'csv-recovery.json'), 'utf8')) as Array<{ csv: string }>;
    const all = [...CASES, ...fixture.map((c) => c.csv)];
    assert.ok(all.length >= 20);
    for (const csv of all) {
      const file = write(csv);
      const want = parseCsv(csv);
      for (const readChunk of [1, 2, 3, 7, 64, 65536]) {
        const got = await streamedRecords(file, readChunk);
        assert.deepEqual({ header: got.header, records: got.records }, want, `${JSON.stringify(csv)} read ${readChunk} bytes at a time`);
      }
    }
  });

  it('gives the same records as parseCsv on 200 seeded random CSVs (quotes, commas, CR, LF, CRLF, multi-byte)', async () => {
    let a = 12345;
    const r = (): number => {
      a = (Math.imul(a, 1103515245) + 12345) >>> 0;
      return a / 4294967296;
    };
    const atoms = ['a', 'bc', ',', '"', '""', '\n', '\r\n', '\r', ' ', 'é', '😀', '"q, "" x"', '\n\n'];
    for (let k = 0; k < 200; k++) {
      let csv = r() < 0.2 ? '\ufeffx,y,z\n' : 'x,y,z\n';
      const n = 5 + Math.floor(r() * 40);
      for (let i = 0; i < n; i++) csv += atoms[Math.floor(r() * atoms.length)];
      let want;
      try {
        want = parseCsv(csv);
      } catch (e) {
        want = (e as Error).message;
      }
      const file = write(csv);
      for (const readChunk of [1, 1024]) {
        let got;
        try {
          const s = await streamedRecords(file, readChunk);
          got = { header: s.header, records: s.records };
        } catch (e) {
          got = (e as Error).message;
        }
        assert.deepEqual(got, want, `${JSON.stringify(csv)} read ${readChunk} bytes at a time`);
      }
    }
  });

  it('resumes at any record end with the same records after it', async () => {
    for (const csv of CASES) {
      const file = write(csv);
      const whole = await streamedRecords(file, 5);
      for (let i = 0; i < whole.ends.length; i++) {
        const rest = await streamedRecords(file, 3, whole.ends[i], whole.header);
        assert.deepEqual(rest.records, whole.records.slice(i + 1), `${JSON.stringify(csv)} from record ${i + 1}`);
      }
    }
  });

  it('a record over the limit is skipped without buffering it, and the rows after it are read', async () => {
    const big = 'x'.repeat(5000);
    const file = write(`id,text\n1,a\n2,"${big}\n${big}"\n3,c\n`);
    const got: CsvRecord[] = [];
    for await (const item of streamCsv(file, { maxRecordBytes: 1000, readChunk: 256 })) if (item.kind === 'record') got.push(item.rec);
    assert.deepEqual(got[0], { row: 1, line: 2, fields: ['1', 'a'] });
    assert.equal(got[1].row, 2);
    assert.ok('error' in got[1] && got[1].tooLarge && got[1].firstLine === 3 && got[1].lastLine === 4, JSON.stringify(got[1]));
    assert.deepEqual(got[2], { row: 3, line: 5, fields: ['3', 'c'] });
  });

  it('an unclosed quote in a record over the limit is recovered like any broken record', async () => {
    const big = 'y'.repeat(3000);
    const file = write(`id,text\n1,a\n2,"${big}\n3,c\n4,d\n`);
    const got: CsvRecord[] = [];
    for await (const item of streamCsv(file, { maxRecordBytes: 1000, readChunk: 100 })) if (item.kind === 'record') got.push(item.rec);
    assert.deepEqual(got.slice(1), [
      { row: 2, error: 'has a quote that is never closed', firstLine: 3, lastLine: 3, resumedAt: 4 },
      { row: 3, line: 4, fields: ['3', 'c'] },
      { row: 4, line: 5, fields: ['4', 'd'] },
    ]);
  });
});

describe('streaming note reader', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-stream-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('CSV: the same notes and problems as parseNoteFile', async () => {
    for (const csv of CASES) {
      const file = write(csv);
      const want = parseNoteFile('ex/notes.csv', Buffer.from(csv), { columns: COLS, maxFileBytes: BIG });
      for (const readChunk of [1, 4, 65536]) {
        const items = await collect(file, 'ex/notes.csv', { readChunk });
        assert.deepEqual(notesOf(items), want.notes, JSON.stringify(csv));
        assert.deepEqual(problemsOf(items).sort(byRow), [...want.problems].sort(byRow), JSON.stringify(csv));
      }
    }
  });

  const JSONL = [
    '\ufeff{"note_id":"a","subject_id":"p1","text":"first note"}\n{"note_id":"b","text":"second"}\n',
    '{"note_id":"a","text":"one"}\r\n{broken json\r\n\r\n[1,2]\r\n{"note_id":"a","text":"again"}\r\n{"note_id":"c","text":""}\r\n{"note_id":"d","text":"last, no newline"}',
    '{"id":"x","body":"no text column"}\n{"text":"later"}\n',
    '\n\n',
    '{"note_id":"q","text":"caf\u00e9 \ud83d\ude00 \u00fc"}\n{"note_id":"r","text":"line\\nbreak"}\n',
  ];

  it('JSONL: the same notes and problems as parseNoteFile (BOM, CRLF, a broken line, not an object)', async () => {
    for (const jsonl of JSONL) {
      const file = write(jsonl, 'jsonl');
      const want = parseNoteFile('ex/n.jsonl', Buffer.from(jsonl), { columns: COLS, maxFileBytes: BIG });
      for (const readChunk of [1, 3, 65536]) {
        const items = await collect(file, 'ex/n.jsonl', { readChunk });
        assert.deepEqual(notesOf(items), want.notes, JSON.stringify(jsonl));
        assert.deepEqual(problemsOf(items).sort(byRow), [...want.problems].sort(byRow), JSON.stringify(jsonl));
      }
    }
  });

  it('resumes after any note with the rest of the notes, ids kept unique across the cut', async () => {
    for (const [content, ext] of [[CASES[12], 'csv'], [JSONL[1], 'jsonl']] as const) {
      const file = write(content, ext);
      const rel = `ex/r.${ext}`;
      const whole = await collect(file, rel, { readChunk: 2 });
      const notes = notesOf(whole);
      assert.ok(notes.length >= 2);
      for (let i = 0; i < whole.length; i++) {
        const it = whole[i];
        if (it.kind !== 'note') continue;
        const seenIds = new Set(notes.filter((x) => x.row <= it.note.row).map((x) => x.noteId));
        const rest = await collect(file, rel, { readChunk: 3, start: it.end, seenIds });
        assert.deepEqual(notesOf(rest), notes.filter((x) => x.row > it.note.row), `${rel} after row ${it.note.row}`);
      }
    }
  });

  it('a note over the limit is skipped with a problem naming its row, and no text', async () => {
    const secret = 'SECRETWORD '.repeat(200);
    const csv = write(`note_id,text\na,short\nb,"${secret}"\nc,also short\n`);
    const items = await collect(csv, 'big.csv', { maxNoteBytes: 1000, readChunk: 100 });
    assert.deepEqual(
      notesOf(items).map((x) => x.noteId),
      ['a', 'c'],
    );
    const p = problemsOf(items);
    assert.equal(p.length, 1);
    assert.equal(p[0].row, 2);
    assert.match(p[0].message, /^Row 2 .*limit for one note; skipped\. Raise drehr\.notes\.maxFileSizeMB/);
    assert.ok(!p[0].message.includes('SECRET'));
    const jl = write(`{"note_id":"a","text":"short"}\n{"note_id":"b","text":"${secret}"}\n{"note_id":"c","text":"x"}\n`, 'jsonl');
    const items2 = await collect(jl, 'big.jsonl', { maxNoteBytes: 1000, readChunk: 64 });
    assert.deepEqual(
      notesOf(items2).map((x) => x.noteId),
      ['a', 'c'],
    );
    assert.match(problemsOf(items2)[0].message, /^Line 2 .*limit for one note/);
    // A line far over the limit is not held in memory: it is skipped as it streams past.
    const huge = write(`{"note_id":"a","text":"short"}\n{"note_id":"b","text":"${'SECRET '.repeat(20000)}"}\n{"note_id":"c","text":"x"}\n`, 'jsonl');
    const items3 = await collect(huge, 'huge.jsonl', { maxNoteBytes: 1000, readChunk: 4096 });
    assert.deepEqual(
      notesOf(items3).map((x) => x.noteId),
      ['a', 'c'],
    );
    assert.equal(problemsOf(items3).length, 1);
    assert.match(problemsOf(items3)[0].message, /^Line 2 holds a note of 0\.1 MB, over the 0\.0 MB limit/);
  });
});
