import * as assert from 'node:assert/strict';
import { parseCsv } from '../../../src/sidecar/notes/csv';

describe('csv', () => {
  it('reads quoted fields with commas, doubled quotes and newlines', () => {
    const t = parseCsv('id,text\n1,"a, ""b""\nc"\r\n2,plain\n');
    assert.deepEqual(t.header, ['id', 'text']);
    assert.deepEqual(t.records, [
      { row: 1, fields: ['1', 'a, "b"\nc'] },
      { row: 2, fields: ['2', 'plain'] },
    ]);
  });
  it('strips a BOM from the header', () => {
    assert.deepEqual(parseCsv('\ufeffid,text\n1,x').header, ['id', 'text']);
  });
  it('reports a row with the wrong field count and keeps the others', () => {
    const t = parseCsv('id,text\n1,a\n2,b,extra\n3,c\n');
    assert.deepEqual(t.records[1], { row: 2, error: 'has 3 fields, the header has 2' });
    assert.deepEqual(t.records[2], { row: 3, fields: ['3', 'c'] });
  });
  it('reports a stray quote in an unquoted field and resynchronises on the next line', () => {
    const t = parseCsv('id,text\n1,a\n2,b"x\n3,c\n');
    assert.equal(t.records.length, 3);
    assert.ok('error' in t.records[1] && t.records[1].row === 2);
    assert.deepEqual(t.records[2], { row: 3, fields: ['3', 'c'] });
  });
  it('reports text after a closing quote', () => {
    const t = parseCsv('id,text\n1,"a"b\n2,c\n');
    assert.ok('error' in t.records[0] && /after a closing quote/.test(t.records[0].error));
    assert.deepEqual(t.records[1], { row: 2, fields: ['2', 'c'] });
  });
  it('reports a quote that is never closed', () => {
    const t = parseCsv('id,text\n1,a\n2,"never closed\n3,c\n');
    assert.deepEqual(t.records[0], { row: 1, fields: ['1', 'a'] });
    assert.ok('error' in t.records[1] && /never closed/.test(t.records[1].error));
  });
  it('skips blank lines without counting them as rows', () => {
    const t = parseCsv('id,text\n1,a\n\n2,b\n');
    assert.deepEqual(
      t.records.map((r) => r.row),
      [1, 2],
    );
  });
  it('gives no header for empty input', () => {
    assert.deepEqual(parseCsv(''), { header: [], records: [] });
  });
});
