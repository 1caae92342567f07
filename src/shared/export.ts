/**
 * Search results as files a cohort study can take: passages or patients to CSV (RFC 4180 quoting, spreadsheet
 * formula injection defused) and JSONL, and a plain patient list; and the reverse, a patient list read from
 * text. Pure, browser-safe.
 */
import type { PatientHit, SearchHit } from './protocol';

/** Where a result came from: the query, or the bundle (src/shared/bundles.ts) and its queries. */
export interface ExportSource {
  query?: string;
  bundle?: string;
}

/**
 * One CSV field. A value that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
 * carriage return) gets a leading apostrophe (OWASP "CSV injection"); numbers are written as numbers. A field
 * with a comma, quote, CR or LF is quoted, inner quotes doubled.
 */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let v = value;
  if (/^[=+\-@\t\r]/.test(v)) v = `'${v}`;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function csvLine(fields: ReadonlyArray<string | number | undefined>): string {
  return fields.map(csvField).join(',') + '\r\n';
}

export const PASSAGE_COLUMNS = ['rank', 'patient_id', 'note_id', 'note_type', 'date', 'source', 'row', 'char_start', 'char_end', 'score', 'ranker', 'query', 'bundle', 'snippet'] as const;
export const PATIENT_COLUMNS = ['rank', 'patient_id', 'score', 'aggregate', 'passages', 'notes', 'best_note_id', 'best_source', 'best_row', 'best_char_start', 'best_char_end', 'ranker', 'query', 'bundle'] as const;

function ranker(h: SearchHit): string {
  return [...h.matchedBy].sort().join('+');
}

function passageRecord(h: SearchHit, rank: number, src: ExportSource): Record<(typeof PASSAGE_COLUMNS)[number], string | number | undefined> {
  return {
    rank,
    patient_id: h.patientId,
    note_id: h.noteId,
    note_type: h.noteType,
    date: h.date,
    source: h.sourcePath,
    row: h.row,
    char_start: h.charStart,
    char_end: h.charEnd,
    score: h.score,
    ranker: ranker(h),
    query: src.query,
    bundle: src.bundle,
    snippet: h.snippet,
  };
}

function patientRecord(p: PatientHit, aggregate: string, src: ExportSource): Record<(typeof PATIENT_COLUMNS)[number], string | number | undefined> {
  const best = p.evidence[0];
  return {
    rank: p.rank,
    patient_id: p.patientId,
    score: p.score,
    aggregate,
    passages: p.passages,
    notes: p.notes,
    best_note_id: best?.noteId,
    best_source: best?.sourcePath,
    best_row: best?.row,
    best_char_start: best?.charStart,
    best_char_end: best?.charEnd,
    ranker: best ? ranker(best) : undefined,
    query: src.query,
    bundle: src.bundle,
  };
}

export function passagesCsv(hits: readonly SearchHit[], src: ExportSource): string {
  return csvLine(PASSAGE_COLUMNS) + hits.map((h, i) => csvLine(PASSAGE_COLUMNS.map((c) => passageRecord(h, i + 1, src)[c]))).join('');
}

export function patientsCsv(patients: readonly PatientHit[], aggregate: string, src: ExportSource): string {
  return csvLine(PATIENT_COLUMNS) + patients.map((p) => csvLine(PATIENT_COLUMNS.map((c) => patientRecord(p, aggregate, src)[c]))).join('');
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** One JSON object per line; a patient carries its evidence passages. */
export function passagesJsonl(hits: readonly SearchHit[], src: ExportSource): string {
  return hits.map((h, i) => JSON.stringify(dropUndefined(passageRecord(h, i + 1, src))) + '\n').join('');
}

export function patientsJsonl(patients: readonly PatientHit[], aggregate: string, src: ExportSource): string {
  return patients
    .map((p) => JSON.stringify({ ...dropUndefined(patientRecord(p, aggregate, src)), evidence: p.evidence.map((h, i) => dropUndefined(passageRecord(h, i + 1, src))) }) + '\n')
    .join('');
}

/** The cohort: one patient id per line, in rank order, with a `patient_id` header (CSV with one column). */
export function patientListCsv(patientIds: readonly string[]): string {
  return csvLine(['patient_id']) + [...new Set(patientIds)].map((id) => csvLine([id])).join('');
}

/**
 * Patient ids from text: one per line, or a CSV whose first column holds them (a `patient_id`-like header is
 * skipped; quotes removed; a leading apostrophe added by `csvField` is removed). Blank lines and duplicates go.
 */
export function parsePatientList(text: string): string[] {
  const out = new Set<string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, i) => {
    let v = line.trim();
    if (v === '') return;
    if (v.startsWith('"')) {
      const m = /^"((?:[^"]|"")*)"/.exec(v);
      v = m ? m[1].replace(/""/g, '"') : v.slice(1);
    } else {
      v = v.split(/[,\t]/)[0].trim();
    }
    if (/^'[=+\-@]/.test(v)) v = v.slice(1);
    if (i === 0 && /^(patient[ _-]?id|patient|subject[ _-]?id|id)$/i.test(v)) return;
    if (v !== '') out.add(v);
  });
  return [...out];
}
