/**
 * SQL where clauses for LanceDB with escaped string literals. Pure. LanceDB's SQL takes a backslash inside a
 * string literal as itself (checked against @lancedb/lancedb: `p = 'x\'` finds the value `x\`), so doubling
 * single quotes is the whole escaping; LIKE patterns escape their wildcards with an explicit ESCAPE character.
 */
import { MAX_FILTER_VALUES, type SearchFilters } from '../../shared/search';

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function equals(column: string, value: string): string {
  return `${column} = ${sqlString(value)}`;
}

export function inList(column: string, values: readonly string[]): string {
  return `${column} IN (${values.map(sqlString).join(', ')})`;
}

/** The where clause of a search restricted to a patient and/or a note, and the panel's filters; undefined for none. */
export function searchFilter(patientId?: string, noteId?: string, filters?: SearchFilters): string | undefined {
  const parts: string[] = [];
  if (patientId) parts.push(equals('patient_id', patientId));
  if (noteId) parts.push(equals('note_id', noteId));
  if (filters) parts.push(...filterClauses(filters));
  return parts.length ? parts.join(' AND ') : undefined;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function validDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

/** The day after a YYYY-MM-DD date, so an inclusive end also takes dates with a time ("2020-01-31T10:00"). */
export function nextDay(date: string): string {
  const m = DATE.exec(date)!;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3] + 1)).toISOString().slice(0, 10);
}

/** Folder as stored in `source`: '/' separators, no leading './' or '/', no trailing '/'. */
export function normalizeFolder(folder: string): string {
  return folder.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/^\/+|\/+$/g, '');
}

/** What is wrong with these filters (a message naming the field, never its values), or undefined when usable. */
export function checkFilters(f: unknown): string | undefined {
  if (f === undefined) return undefined;
  if (typeof f !== 'object' || f === null || Array.isArray(f)) return 'filters must be an object.';
  const o = f as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!['noteTypes', 'dateFrom', 'dateTo', 'folders', 'patientIds'].includes(key)) return `Unknown filter "${key.slice(0, 40)}".`;
  for (const key of ['noteTypes', 'folders', 'patientIds'] as const) {
    const v = o[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return `filters.${key} must be a list of strings.`;
    if (v.length > MAX_FILTER_VALUES) return `filters.${key} holds ${v.length} values; at most ${MAX_FILTER_VALUES}.`;
  }
  for (const key of ['dateFrom', 'dateTo'] as const) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'string' || !validDate(v))) return `filters.${key} must be a date written YYYY-MM-DD.`;
  }
  if (typeof o.dateFrom === 'string' && typeof o.dateTo === 'string' && o.dateFrom > o.dateTo) return 'The date range ends before it starts.';
  return undefined;
}

function nonEmpty(values: readonly string[] | undefined): string[] {
  return [...new Set((values ?? []).map((v) => v.trim()).filter((v) => v !== ''))];
}

/**
 * Clauses for the filters (combined with AND by the caller). Values within a list are alternatives. Checked
 * first with `checkFilters`; an empty list means no restriction. Dates compare as text, which orders ISO dates.
 */
export function filterClauses(f: SearchFilters): string[] {
  const out: string[] = [];
  const types = nonEmpty(f.noteTypes);
  if (types.length) out.push(types.length === 1 ? equals('note_type', types[0]) : inList('note_type', types));
  const patients = nonEmpty(f.patientIds);
  if (patients.length) out.push(patients.length === 1 ? equals('patient_id', patients[0]) : inList('patient_id', patients));
  const folders = nonEmpty(f.folders?.map(normalizeFolder));
  if (folders.length) out.push(folders.length === 1 ? underFolder(folders[0]) : `(${folders.map(underFolder).join(' OR ')})`);
  if (f.dateFrom) out.push(`date >= ${sqlString(f.dateFrom)}`);
  if (f.dateTo) out.push(`date < ${sqlString(nextDay(f.dateTo))}`, `date <> ''`);
  return out;
}

/** Rows of these sources, in groups small enough for one statement each. */
export function sourceFilters(sources: readonly string[], perStatement = 200): string[] {
  const out: string[] = [];
  for (let i = 0; i < sources.length; i += perStatement) out.push(inList('source', sources.slice(i, i + perStatement)));
  return out;
}

/** Rows whose source lies under a folder (workspace-relative, no trailing slash). */
export function underFolder(folder: string): string {
  const escaped = folder.replace(/[\\%_]/g, (c) => `\\${c}`);
  return `source LIKE ${sqlString(`${escaped}/%`)} ESCAPE '\\'`;
}
