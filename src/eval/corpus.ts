/**
 * The benchmark corpus as the index sees it: every note file under notes/ read and chunked with the
 * sidecar's own parser and chunker (src/sidecar/notes, pure modules), so the chunk ids here are the ids the
 * engine ranks. Used to know each note's chunks (single-patient ranking) and to check the qrels' chunk ids.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChunkingOptions, ColumnMapping, Problem } from '../shared/protocol';
import { chunkNote } from '../sidecar/notes/chunker';
import { noteFormat, parseNoteFile } from '../sidecar/notes/parse';

export interface Corpus {
  /** note id → its chunk ids in order. */
  notes: Map<string, string[]>;
  chunkCount: number;
  problems: Problem[];
}

export const DEFAULT_COLUMNS: ColumnMapping = { text: '', patientId: '', noteId: '', noteType: '', date: '' };
export const MAX_NOTE_BYTES = 64 * 1024 * 1024;

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
      chunkCount += ids.length;
    }
  }
  return { notes, chunkCount, problems };
}
