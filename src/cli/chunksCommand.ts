/** `drehr chunks <folder> --out FILE.jsonl`: the chunks the index would hold, for the trainer. No model needed. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultEngineConfig } from '../sidecar/defaults';
import { Scanner } from '../sidecar/indexer/scan';
import { checkExport } from '../sidecar/indexer/exportCheck';
import { iterateChunks } from '../sidecar/notes/chunker';
import { noteFormat, parseNoteFile, undecodableMessage } from '../sidecar/notes/parse';
import { streamNotes } from '../sidecar/notes/stream';
import type { Note, Problem } from '../sidecar/notes/types';
import { intFlag, parseArgs, stringFlag, UsageError } from './args';
import { EXIT } from './exitCodes';

export async function chunksCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['out', 'words', 'overlap', 'min-words'], []);
  const folder = args.positionals[0];
  const out = stringFlag(args, 'out');
  if (!folder) throw new UsageError('a notes folder is needed');
  if (!out) throw new UsageError('--out FILE.jsonl is needed');
  const root = path.resolve(folder);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`${folder} is not a folder`);
  const cfg = defaultEngineConfig(root, '.');
  cfg.chunking = {
    words: intFlag(args, 'words', 1, 100000) ?? cfg.chunking.words,
    overlap: intFlag(args, 'overlap', 0, 100000) ?? cfg.chunking.overlap,
    minWords: intFlag(args, 'min-words', 0, 100000) ?? cfg.chunking.minWords,
  };
  const outAbs = path.resolve(out);
  const scanner = new Scanner({ root, include: cfg.include, exclude: cfg.exclude, skip: [path.join(root, '.drehr'), outAbs] });
  const tmp = `${outAbs}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  let chunks = 0;
  let problems = 0;
  try {
    const report = (p: Problem): void => {
      problems++;
      process.stderr.write(`${p.severity}: ${p.path}${p.row !== undefined ? ` row ${p.row}` : ''}: ${p.message}\n`);
    };
    const write = (note: Note): void => {
      for (const c of iterateChunks(note, cfg.chunking)) {
        const line = { id: c.id, note_id: c.noteId, patient_id: c.patientId, note_type: c.noteType, date: c.date, source: c.source, row: c.row, char_start: c.charStart, char_end: c.charEnd, text: c.text };
        fs.writeSync(fd, JSON.stringify(line) + '\n');
        chunks++;
      }
    };
    for (const f of scanner.scan()) {
      const abs = path.join(root, f.rel);
      if (noteFormat(f.rel) !== 'text') {
        // A CSV/JSONL export of any size, streamed (the limit is per note), as the indexer reads it.
        const check = await checkExport(abs, () => undefined);
        if ('error' in check) report({ path: f.rel, severity: 'error', message: `Cannot read the file (${check.error}); skipped.` });
        else if (check.size === 0) report({ path: f.rel, severity: 'warning', message: 'File is empty; nothing to index.' });
        else if (check.undecodable) report({ path: f.rel, severity: 'error', message: undecodableMessage(check.undecodable) });
        else for await (const item of streamNotes(abs, f.rel, { columns: cfg.columns, maxNoteBytes: cfg.maxFileBytes })) {
          if (item.kind === 'note') write(item.note);
          else report(item.problem);
        }
        continue;
      }
      const parsed = parseNoteFile(f.rel, fs.readFileSync(abs), { columns: cfg.columns, maxFileBytes: cfg.maxFileBytes });
      for (const p of parsed.problems) report(p);
      for (const note of parsed.notes) write(note);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, outAbs);
  process.stderr.write(`Wrote ${chunks} chunks to ${out}${problems ? ` (${problems} problems above)` : ''}.\n`);
  return EXIT.ok;
}
