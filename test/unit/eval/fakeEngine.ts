/**
 * A stand-in engine for the evaluation's unit tests: it chunks the notes with the project's chunker and
 * ranks chunks by how many query words they contain (ties by chunk id). No native modules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineConfig, SearchParams, SearchResult } from '../../../src/shared/protocol';
import { chunkNote } from '../../../src/sidecar/notes/chunker';
import { parseNoteFile } from '../../../src/sidecar/notes/parse';
import type { EvalEngine } from '../../../src/eval/evaluate';

export function fakeEngine(config: EngineConfig, log: string[] = []): EvalEngine {
  const chunks: { id: string; noteId: string; patientId: string; words: string[] }[] = [];
  return {
    model: { id: 'fake-model', name: 'fake', dir: config.modelDir, trained: false },
    async index(onProgress) {
      const files = fs.readdirSync(config.workspaceRoot, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(md|txt|jsonl|csv)$/.test(f)).sort();
      files.forEach((rel, i) => {
        const parsed = parseNoteFile(rel.split(path.sep).join('/'), fs.readFileSync(path.join(config.workspaceRoot, rel)), { columns: config.columns, maxFileBytes: config.maxFileBytes });
        for (const n of parsed.notes) for (const c of chunkNote(n, config.chunking)) chunks.push({ id: c.id, noteId: c.noteId, patientId: c.patientId, words: c.text.toLowerCase().split(/\W+/) });
        onProgress(i + 1, files.length);
      });
      log.push('index');
      return { problems: [] };
    },
    async search(p: SearchParams): Promise<SearchResult> {
      log.push(`search:${p.mode}:${p.noteId ?? p.patientId ?? '*'}`);
      const q = p.query.toLowerCase().split(/\W+/).filter(Boolean);
      const scored = chunks
        .filter((c) => (!p.noteId || c.noteId === p.noteId) && (!p.patientId || c.patientId === p.patientId))
        .map((c) => ({ c, s: q.filter((w) => c.words.includes(w)).length }))
        .filter((x) => p.mode !== 'bm25' || x.s > 0)
        .sort((a, b) => b.s - a.s || (a.c.id < b.c.id ? -1 : 1))
        .slice(0, p.k);
      return {
        hits: scored.map(({ c, s }) => ({ chunkId: c.id, noteId: c.noteId, patientId: 'p', sourcePath: '', charStart: 0, charEnd: 0, score: s, matchedBy: [p.mode], snippet: '', highlights: [] })),
        expansions: [],
        tookMs: 0,
      };
    },
    async close() {
      log.push('close');
    },
  };
}
