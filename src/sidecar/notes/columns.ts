/** Which CSV/JSONL column holds which note field: the user's mapping, else the built-in guesses. Pure. */
import type { ColumnMapping } from '../../shared/protocol';

export type NoteField = keyof ColumnMapping;

/** Built-in guesses, matched case-insensitively (MIMIC-III and MIMIC-IV columns work without mapping). */
export const COLUMN_GUESSES: Record<NoteField, string[]> = {
  text: ['text', 'note', 'note_text'],
  patientId: ['patient_id', 'subject_id'],
  noteId: ['note_id', 'row_id'],
  noteType: ['note_type', 'category'],
  date: ['date', 'charttime', 'chartdate'],
};

export type ResolvedColumns = Record<NoteField, string | undefined>;

/** Resolves each field to an actual column name of `header`, or undefined when none matches. */
export function resolveColumns(header: readonly string[], mapping: ColumnMapping): ResolvedColumns {
  const out = {} as ResolvedColumns;
  for (const field of Object.keys(COLUMN_GUESSES) as NoteField[]) {
    const wanted = mapping[field] ? [mapping[field]] : COLUMN_GUESSES[field];
    out[field] = undefined;
    for (const w of wanted) {
      const hit = header.find((h) => h === w) ?? header.find((h) => h.toLowerCase() === w.toLowerCase());
      if (hit !== undefined) {
        out[field] = hit;
        break;
      }
    }
  }
  return out;
}
