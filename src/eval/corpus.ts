/**
 * The benchmark corpus as the index sees it: every note file under notes/ read and chunked with the
 * sidecar's own parser and chunker (src/sidecar/notes, pure modules), so the chunk ids here are the ids the
 * engine ranks. Used to know each note's chunks (single-patient ranking) and to check the qrels' chunk ids.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_MAX_FILE_BYTES } from '../shared/defaults';
import type { ChunkingOptions, ColumnMapping, Problem } from '../shared/protocol';
import { chunkNote } from '../sidecar/notes/chunker';
import { noteFormat, parseNoteFile } from '../sidecar/notes/parse';

export interface Corpus {
  /** note id → its chunk ids in order. */
  notes: Map<string, string[]>;
  /** note id → patient id. */
  patientOf: Map<string, string>;
  chunkCount: number;
  problems: Problem[];
}

export const DEFAULT_COLUMNS: ColumnMapping = { text: '', patientId: '', noteId: '', noteType: '', date: '' };
export const MAX_NOTE_BYTES = DEFAULT_MAX_FILE_BYTES;

function walk(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith('.') || e.name === 'node_modules' || e.name === 'README.md') continue; // the engine's default excludes
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(root, r));
    else if (e.isFile() && noteFormat(r)) out.push(r);
  }
  return out;
}

export function readCorpus(notesDir: string, chunking: ChunkingOptions, columns: ColumnMapping = DEFAULT_COLUMNS): Corpus {
  const notes = new Map<string, string[]>();
  const patientOf = new Map<string, string>();
  const problems: Problem[] = [];
  let chunkCount = 0;
  for (const rel of walk(notesDir)) {
    const parsed = parseNoteFile(rel, fs.readFileSync(path.join(notesDir, rel)), { columns, maxFileBytes: MAX_NOTE_BYTES });
    problems.push(...parsed.problems);
    for (const note of parsed.notes) {
      const ids = chunkNote(note, chunking).map((c) => c.id);
      if (notes.has(note.noteId)) {
        problems.push({ path: rel, severity: 'warning', message: `note id ${note.noteId} appears twice; its chunks are merged` });
        notes.get(note.noteId)!.push(...ids);
      } else notes.set(note.noteId, ids);
      patientOf.set(note.noteId, note.patientId);
      chunkCount += ids.length;
    }
  }
  return { notes, patientOf, chunkCount, problems };
}

/**
 * The units of single-patient retrieval: each note (CliniQ: one discharge summary per admission), or each
 * patient's notes together (a benchmark whose notes are CliniQ's own chunks, grouped by admission).
 * Returns group id → chunk ids, and chunk id → group id.
 */
export function singleGroups(corpus: Corpus, by: 'note' | 'patient'): { groups: Map<string, string[]>; groupOf: Map<string, string> } {
  const groups = new Map<string, string[]>();
  const groupOf = new Map<string, string>();
  for (const [note, ids] of corpus.notes) {
    const g = by === 'patient' ? (corpus.patientOf.get(note) ?? note) : note;
    let list = groups.get(g);
    if (!list) groups.set(g, (list = []));
    list.push(...ids);
    for (const id of ids) groupOf.set(id, g);
  }
  return { groups, groupOf };
}
