import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCsv, type CsvRecord } from '../../../src/sidecar/notes/csv';

const rows = (recs: CsvRecord[]): Array<[number, string[] | string]> => recs.map((r) => [r.row, 'error' in r ? r.error : r.fields]);

describe('csv', () => {
  it('reads quoted fields with commas, doubled quotes and newlines', () => {
    const t = parseCsv('id,text\n1,"a, ""b""\nc"\r\n2,plain\n');
    assert.deepEqual(t.header, ['id', 'text']);
    assert.deepEqual(t.records, [
      { row: 1, line: 2, fields: ['1', 'a, "b"\nc'] },
      { row: 2, line: 4, fields: ['2', 'plain'] },
    ]);
  });
  it('reads CRLF files without carriage returns in the fields', () => {
    assert.deepEqual(rows(parseCsv('id,text\r\n1,a\r\n2,b\r\n').records), [
      [1, ['1', 'a']],
      [2, ['2', 'b']],
    ]);
  });
  it('strips a BOM from the header', () => {
    assert.deepEqual(parseCsv('\ufeffid,text\n1,x').header, ['id', 'text']);
  });
  it('reports a row with the wrong field count and keeps the others', () => {
    const t = parseCsv('id,text\n1,a\n2,b,extra\n3,c\n');
    assert.deepEqual(t.records[1], { row: 2, error: 'has 3 fields, the header has 2', fieldCount: 3, firstLine: 3, lastLine: 3 });
    assert.deepEqual(t.records[2], { row: 3, line: 4, fields: ['3', 'c'] });
  });
  it('reports a stray quote in an unquoted field and resumes on the next line', () => {
    const t = parseCsv('id,text\n1,a\n2,b"x\n3,c\n');
    assert.deepEqual(rows(t.records), [
      [1, ['1', 'a']],
      [2, 'has a quote inside an unquoted field'],
      [3, ['3', 'c']],
    ]);
  });
  it('reports text after a closing quote', () => {
    const t = parseCsv('id,text\n1,"a"b\n2,c\n');
    assert.deepEqual(rows(t.records), [
      [1, 'has text after a closing quote'],
      [2, ['2', 'c']],
    ]);
  });
  it('an unclosed quote on a one-line row loses only that row: reading resumes at the next line that is a row', () => {
    const t = parseCsv('subject_id,note_id,text\ns01,m01,one\ns02,m02,"never closed\ns03,m03,three\ns04,m04,four\n');
    assert.deepEqual(rows(t.records), [
      [1, ['s01', 'm01', 'one']],
      [2, 'has a quote that is never closed'],
      [3, ['s03', 'm03', 'three']],
      [4, ['s04', 'm04', 'four']],
    ]);
    assert.deepEqual(t.records[1], { row: 2, error: 'has a quote that is never closed', firstLine: 3, lastLine: 3, resumedAt: 4 });
  });
  it('a broken multi-line row takes one row number, so later rows keep theirs', () => {
    const t = parseCsv('id,text\n1,"multi\nline"oops\n2,c\n3,"m\nn"\n4,d');
    assert.deepEqual(rows(t.records), [
      [1, 'has text after a closing quote'],
      [2, ['2', 'c']],
      [3, ['3', 'm\nn']],
      [4, ['4', 'd']],
    ]);
    assert.deepEqual(t.records[0], { row: 1, error: 'has text after a closing quote', firstLine: 2, lastLine: 3, resumedAt: 4 });
  });
  it('says when no later line reads as a row', () => {
    const t = parseCsv('a,b,c\n1,2,3\n4,5,"open\nx\ny\n');
    assert.deepEqual(t.records[1], { row: 2, error: 'has a quote that is never closed', firstLine: 3, lastLine: 5, resumedAt: undefined });
  });
  it('skips blank lines without counting them as rows', () => {
    const t = parseCsv('id,text\n1,a\n\n2,b\n');
    assert.deepEqual(
      t.records.map((r) => r.row),
      [1, 2],
    );
  });
  it('counts lines in bytes-safe way with non-ASCII text', () => {
    const t = parseCsv('id,text\n1,"é ü 😀\nß"\n2,"x"y\n3,z\n');
    assert.deepEqual(t.records[1], { row: 2, error: 'has text after a closing quote', firstLine: 4, lastLine: 4, resumedAt: 5 });
  });
  it('gives no header for empty input', () => {
    assert.deepEqual(parseCsv(''), { header: [], records: [] });
  });
  it('rejects a malformed header without quoting it', () => {
    assert.throws(() => parseCsv('id,"SECRET\n1,x\n'), (e: Error) => /header line has a quote that is never closed/.test(e.message) && !e.message.includes('SECRET'));
  });
});

describe('csv recovery fixture (python/drehr_train/notes.py reads it the same way)', () => {
  it('is still what parseCsv produces', () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(process.cwd(), 'test', 'fixtures', 'csv-recovery.json'), 'utf8')) as Array<{ csv: string; header: string[]; records: unknown[] }>;
    assert.ok(fixture.length >= 8);
    for (const c of fixture) {
      const t = parseCsv(c.csv);
      const got = t.records.map((r) => ('error' in r ? { row: r.row, error: r.error, firstLine: r.firstLine, lastLine: r.lastLine, resumedAt: r.resumedAt ?? null } : { row: r.row, fields: r.fields }));
      assert.deepEqual({ header: t.header, records: got }, { header: c.header, records: c.records }, JSON.stringify(c.csv));
    }
  });
});
