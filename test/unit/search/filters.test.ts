import * as assert from 'node:assert/strict';
import { checkFilters, filterClauses, nextDay, normalizeFolder, searchFilter, sqlString } from '../../../src/sidecar/store/filters';

describe('search filters', () => {
  it('escapes quotes by doubling and keeps backslashes as they are', () => {
    assert.equal(sqlString("O'Brien"), "'O''Brien'");
    assert.equal(sqlString('back\\slash\\'), "'back\\slash\\'");
    assert.equal(sqlString("x' OR 1=1 --"), "'x'' OR 1=1 --'");
    assert.equal(sqlString("''"), "''''''");
  });
  it('builds one clause per filter, lists as IN, combined with AND', () => {
    const w = searchFilter(undefined, undefined, { noteTypes: ['Discharge summary', "Nurse's note"], dateFrom: '2020-01-01', dateTo: '2020-12-31', folders: ['notes/icu'], patientIds: ['p1', 'p2'] });
    assert.equal(
      w,
      "note_type IN ('Discharge summary', 'Nurse''s note') AND patient_id IN ('p1', 'p2') AND source LIKE 'notes/icu/%' ESCAPE '\\' AND date >= '2020-01-01' AND date < '2021-01-01' AND date <> ''",
    );
  });
  it('uses = for one value, OR for several folders, and skips empty lists and blank values', () => {
    assert.deepEqual(filterClauses({ noteTypes: [' Radiology ', ''], patientIds: [] }), ["note_type = 'Radiology'"]);
    assert.deepEqual(filterClauses({ folders: ['a', './b/', 'c\\d'] }), ["(source LIKE 'a/%' ESCAPE '\\' OR source LIKE 'b/%' ESCAPE '\\' OR source LIKE 'c/d/%' ESCAPE '\\')"]);
    assert.equal(searchFilter(undefined, undefined, {}), undefined);
    assert.equal(searchFilter('p1', undefined, { noteTypes: ['x'] }), "patient_id = 'p1' AND note_type = 'x'");
  });
  it('escapes injection attempts in every field', () => {
    const evil = "p1') OR (1=1";
    const w = searchFilter(undefined, undefined, { patientIds: [evil, 'p2'], noteTypes: [evil], folders: ["f'%_"] })!;
    assert.ok(w.includes("'p1'') OR (1=1'"));
    assert.ok(w.includes("source LIKE 'f''\\%\\_/%' ESCAPE '\\'"));
    // Every quote in the clause is either a delimiter or doubled: removing doubled quotes leaves an even count.
    assert.equal((w.replace(/''/g, '').match(/'/g) ?? []).length % 2, 0);
  });
  it('checks filters with messages that name the field, never the value', () => {
    assert.equal(checkFilters(undefined), undefined);
    assert.equal(checkFilters({ dateFrom: '2020-02-30' }), 'filters.dateFrom must be a date written YYYY-MM-DD.');
    assert.equal(checkFilters({ dateTo: "2020-01-01' OR 1=1" }), 'filters.dateTo must be a date written YYYY-MM-DD.');
    assert.equal(checkFilters({ dateFrom: '2021-01-01', dateTo: '2020-01-01' }), 'The date range ends before it starts.');
    assert.equal(checkFilters({ noteTypes: 'x' }), 'filters.noteTypes must be a list of strings.');
    assert.equal(checkFilters({ patientIds: [1] }), 'filters.patientIds must be a list of strings.');
    assert.match(checkFilters({ secret: 1 })!, /Unknown filter "secret"/);
    assert.equal(checkFilters([]), 'filters must be an object.');
  });
  it('computes the next day across month and year ends, and normalizes folders', () => {
    assert.equal(nextDay('2020-02-28'), '2020-02-29');
    assert.equal(nextDay('2021-12-31'), '2022-01-01');
    assert.equal(normalizeFolder('.\\notes\\icu\\'), 'notes/icu');
  });
});
