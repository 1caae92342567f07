/**
 * Writes test/fixtures/chunks-golden.jsonl: the TypeScript chunker's output for a few demo notes, two rows of
 * the demo CSV export and a synthetic note with de-identification placeholders (CRLF line ends, a
 * non-breaking space, a dropped short tail). The Python chunker must reproduce it exactly.
 *
 * Workspace root for ids and sources: the repository root. Run from the repository root: `npm run golden:chunks`, i.e.
 *   npx esbuild scripts/make_chunks_golden.ts --bundle --platform=node --outfile=out/scripts/make_chunks_golden.js \
 *     && node out/scripts/make_chunks_golden.js
 * The unit test test/unit/engine/golden.test.ts checks the chunker still produces the committed file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chunkNote } from '../src/sidecar/notes/chunker';
import { parseNoteFile } from '../src/sidecar/notes/parse';

export const GOLDEN_FILE = 'test/fixtures/chunks-golden.jsonl';

/** Inputs: workspace-relative path and, for CSV/JSONL, the data rows kept. */
export const GOLDEN_INPUTS: Array<{ path: string; rows?: number[] }> = [
  { path: 'demo/notes/p001/virtassist-d2n001.md' },
  { path: 'demo/notes/p002/virtassist-d2n002.md' },
  { path: 'demo/notes/p005/virtassist-d2n005.md' },
  { path: 'demo/notes/exports/aci_notes.csv', rows: [1, 2] },
  { path: 'test/fixtures/golden-notes/p900/synthetic-placeholders.txt' },
];

export const GOLDEN_CHUNKING = { words: 100, overlap: 10, minWords: 50 };

export interface GoldenLine {
  id: string;
  note_id: string;
  patient_id: string;
  source: string;
  row: number;
  char_start: number;
  char_end: number;
  text: string;
}

export function goldenLines(repoRoot: string): GoldenLine[] {
  const columns = { text: '', patientId: '', noteId: '', noteType: '', date: '' };
  const out: GoldenLine[] = [];
  for (const input of GOLDEN_INPUTS) {
    const parsed = parseNoteFile(input.path, fs.readFileSync(path.join(repoRoot, input.path)), { columns, maxFileBytes: 64 * 1024 * 1024 });
    if (parsed.problems.length) throw new Error(`${input.path}: ${parsed.problems.map((p) => p.message).join('; ')}`);
    for (const note of parsed.notes) {
      if (input.rows && !input.rows.includes(note.row)) continue;
      for (const c of chunkNote(note, GOLDEN_CHUNKING)) {
        out.push({ id: c.id, note_id: c.noteId, patient_id: c.patientId, source: c.source, row: c.row, char_start: c.charStart, char_end: c.charEnd, text: c.text });
      }
    }
  }
  return out;
}

export function goldenJsonl(repoRoot: string): string {
  return goldenLines(repoRoot)
    .map((l) => JSON.stringify(l))
    .join('\n') + '\n';
}

if (require.main === module) {
  const root = process.cwd();
  fs.writeFileSync(path.join(root, GOLDEN_FILE), goldenJsonl(root));
  console.log(`wrote ${GOLDEN_FILE}`);
}
