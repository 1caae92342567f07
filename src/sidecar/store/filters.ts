/** SQL where clauses for LanceDB with escaped string literals. Pure. */

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function equals(column: string, value: string): string {
  return `${column} = ${sqlString(value)}`;
}

export function inList(column: string, values: readonly string[]): string {
  return `${column} IN (${values.map(sqlString).join(', ')})`;
}

/** The where clause of a search restricted to a patient and/or a note; undefined for no restriction. */
export function searchFilter(patientId?: string, noteId?: string): string | undefined {
  const parts: string[] = [];
  if (patientId) parts.push(equals('patient_id', patientId));
  if (noteId) parts.push(equals('note_id', noteId));
  return parts.length ? parts.join(' AND ') : undefined;
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
