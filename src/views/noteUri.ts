/**
 * The read-only documents of notes that are rows of a CSV/JSONL export: scheme `drehr-note`, a readable path
 * (patient/note id) for the tab title, and the note id in the query, which is what the content provider
 * reads. Pure: returns the parts of a URI; noteDocument.ts builds the vscode.Uri.
 */
export const NOTE_SCHEME = 'drehr-note';
/** The language of those documents (package.json contributes it with word wrap on: a row is one long line). */
export const NOTE_LANGUAGE = 'drehr-note';

export interface NoteUriParts {
  path: string;
  query: string;
}

function segment(s: string): string {
  const cleaned = s.replace(/[\\/#?%]/g, '_').trim();
  return cleaned === '' ? '_' : cleaned.slice(0, 120);
}

export function noteUriParts(noteId: string, patientId: string): NoteUriParts {
  return { path: `/${segment(patientId)}/${segment(noteId)}.txt`, query: new URLSearchParams({ note: noteId }).toString() };
}

/** The note id of a drehr-note URI's query, or undefined when it holds none. */
export function noteIdFromQuery(query: string): string | undefined {
  const id = new URLSearchParams(query).get('note');
  return id === null || id === '' ? undefined : id;
}
