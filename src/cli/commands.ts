/** `drehr index|search|status`: the Engine in-process. Results go to stdout, everything else to stderr. */
import { DEFAULT_SEARCH_MODE, SEARCH_MODES, isSearchMode } from '../shared/defaults';
import type { IndexResult, SearchResult } from '../shared/protocol';
import { Engine } from '../sidecar/engine';
import { stderrLogger } from '../sidecar/log';
import { intFlag, parseArgs, stringFlag, UsageError } from './args';
import { EXIT } from './exitCodes';
import { engineConfigFrom } from './options';
import { makeProgressReporter, notesFromRows } from './progress';

const COMMON = ['model', 'index', 'device'];

export async function indexCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, [...COMMON, 'threads', 'batch-chunks'], ['rebuild', 'json']);
  const config = engineConfigFrom(args.positionals[0], args);
  const engine = await Engine.open(config, stderrLogger, { threads: intFlag(args, 'threads', 1, 256), batchChunks: intFlag(args, 'batch-chunks', 1, 100000) });
  const ac = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\nStopping after the current batch (Ctrl+C again to quit at once)…\n');
    process.off('SIGINT', onSigint);
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = makeProgressReporter();
  try {
    const result = await engine.index({ workId: 'cli', rebuild: args.flags.has('rebuild') }, progress.update, ac.signal);
    progress.end();
    if (args.flags.has('json')) process.stdout.write(JSON.stringify(result) + '\n');
    else printIndexResult(result);
    return result.cancelled ? EXIT.cancelled : EXIT.ok;
  } finally {
    progress.end();
    process.off('SIGINT', onSigint);
    await engine.close();
    // An index build that stalled was left running in native threads, which would keep the process alive.
    setTimeout(() => process.exit(), 2000).unref();
  }
}

function printIndexResult(r: IndexResult): void {
  const out = process.stdout;
  out.write(
    `${r.cancelled ? 'Cancelled' : 'Indexed'}: ${r.filesScanned} files scanned, ${r.filesIndexed} indexed, ${r.filesUnchanged} unchanged, ${r.filesRemoved} removed; ` +
      `${r.chunksAdded} chunks added, ${r.chunksRemoved} removed in ${(r.durationMs / 1000).toFixed(1)} s.\n`,
  );
  out.write(`Index: ${r.status.state}, ${r.status.notes} notes${notesFromRows(r)}, ${r.status.chunks} chunks, ${r.status.patients} patients at ${r.status.location}\n`);
  for (const p of r.problems) out.write(`${p.severity}: ${p.path}${p.row !== undefined ? ` row ${p.row}` : ''}: ${p.message}\n`);
}

export async function searchCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, [...COMMON, 'patient', 'note', 'k', 'mode'], ['json', 'no-expand']);
  const [folder, ...words] = args.positionals;
  const query = words.join(' ');
  if (!query.trim()) throw new UsageError('a query is needed: drehr search <folder> <query>');
  const mode = stringFlag(args, 'mode') ?? DEFAULT_SEARCH_MODE;
  if (!isSearchMode(mode)) throw new UsageError(`--mode must be one of ${SEARCH_MODES.join(', ')}`);
  const k = intFlag(args, 'k', 1, 1000) ?? 10;
  const config = engineConfigFrom(folder, args);
  const engine = await Engine.open(config, stderrLogger);
  try {
    const result = await engine.search({
      query, k, mode, patientId: stringFlag(args, 'patient'), noteId: stringFlag(args, 'note'),
      ...(args.flags.has('no-expand') ? { expand: false } : {}),
    });
    if (args.flags.has('json')) process.stdout.write(JSON.stringify(result) + '\n');
    else printHits(result);
    return result.hits.length ? EXIT.ok : EXIT.noResults;
  } finally {
    await engine.close();
  }
}

function printHits(r: SearchResult): void {
  if (r.expansions.length) process.stdout.write(`also searched: ${r.expansions.join(', ')}\n`);
  if (r.hits.length === 0) process.stdout.write('No results.\n');
  r.hits.forEach((h, i) => {
    const where = `${h.sourcePath}${h.row !== undefined ? ` row ${h.row}` : ''} [${h.charStart}-${h.charEnd}]`;
    process.stdout.write(`${String(i + 1).padStart(2)}. ${h.score.toFixed(4)}  patient ${h.patientId}  note ${h.noteId}  (${h.matchedBy.join('+')})\n    ${where}\n    ${h.snippet.replace(/\s+/g, ' ')}\n`);
  });
}

export async function statusCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, COMMON, ['json']);
  const engine = await Engine.open(engineConfigFrom(args.positionals[0], args), stderrLogger);
  try {
    const s = await engine.status();
    if (args.flags.has('json')) process.stdout.write(JSON.stringify({ model: engine.model, index: s }) + '\n');
    else {
      process.stdout.write(`Model: ${engine.model.name} (${engine.model.id}, ${engine.model.device})\n`);
      process.stdout.write(`Index: ${s.state} at ${s.location}: ${s.notes} notes, ${s.chunks} chunks, ${s.patients} patients` + `${s.lastIndexedAt ? `, last indexed ${s.lastIndexedAt}` : ''}\n`);
      process.stdout.write(`Full-text index: ${s.hasFtsIndex ? 'yes' : 'no'}; ANN index: ${s.hasAnnIndex ? 'yes' : 'no'}${s.detail ? `\n${s.detail}` : ''}\n`);
    }
    return s.state === 'corrupt' ? EXIT.index : EXIT.ok;
  } finally {
    await engine.close();
  }
}
