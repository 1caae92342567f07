/** `drehr index|search|status`: the Engine in-process. Results go to stdout, everything else to stderr. */
import * as fs from 'node:fs';
import { DEFAULT_SEARCH_MODE, SEARCH_MODES, isSearchMode } from '../shared/defaults';
import type { IndexResult, PatientSearchResult, SearchHit, SearchResult } from '../shared/protocol';
import { isPatientAggregate, PATIENT_AGGREGATES, type SearchFilters } from '../shared/search';
import { checkFilters } from '../sidecar/store/filters';
import { parsePatientList } from '../shared/export';
import { Engine } from '../sidecar/engine';
import { stderrLogger } from '../sidecar/log';
import { intFlag, parseArgs, stringFlag, UsageError, type ParsedArgs } from './args';
import { distributedIndexCommand } from './distributedCommand';
import { EXIT } from './exitCodes';
import { engineConfigFrom } from './options';
import { bundleFromArgs, searchBundle } from './bundlesCommand';
import { makeProgressReporter, notesFromRows, PROGRESS_STYLES, type ProgressStyle } from './progress';

const COMMON = ['model', 'index', 'device', 'precision', 'engine', 'python'];

export async function indexCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, [...COMMON, 'threads', 'batch-chunks', 'progress'], ['rebuild', 'json', 'distributed']);
  const progressStyle = (stringFlag(args, 'progress') ?? 'auto') as ProgressStyle;
  if (!PROGRESS_STYLES.includes(progressStyle)) throw new UsageError('--progress must be auto or json');
  if (args.flags.has('distributed')) return distributedIndexCommand(args, progressStyle);
  const config = engineConfigFrom(args.positionals[0], args);
  const engine = await Engine.open(config, stderrLogger, { threads: intFlag(args, 'threads', 1, 256), batchChunks: intFlag(args, 'batch-chunks', 1, 100000) });
  const ac = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\nStopping after the current batch (Ctrl+C again to quit at once)…\n');
    process.off('SIGINT', onSigint);
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = makeProgressReporter(process.stderr, Date.now, progressStyle);
  try {
    const result = await engine.index({ workId: 'cli', rebuild: args.flags.has('rebuild') }, progress.update, ac.signal);
    progress.end();
    if (args.flags.has('json')) process.stdout.write(JSON.stringify(result) + '\n');
    else printIndexResult(result);
    return result.cancelled ? EXIT.cancelled : result.problems.some((p) => p.severity === 'error') ? EXIT.problems : EXIT.ok;
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
  // Problems are diagnostics: stderr, like progress and logs (README.md).
  for (const p of r.problems) process.stderr.write(`${p.severity}: ${p.path}${p.row !== undefined ? ` row ${p.row}` : ''}: ${p.message}\n`);
}

/** Filters from `--note-type a,b --from D --to D --folder a,b --patient-list FILE` (the panel's filters). */
export function filtersFrom(args: ParsedArgs): SearchFilters | undefined {
  const list = (name: string): string[] | undefined => {
    const v = stringFlag(args, name);
    return v === undefined ? undefined : v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  };
  const f: SearchFilters = {};
  const types = list('note-type');
  if (types?.length) f.noteTypes = types;
  const folders = list('folder');
  if (folders?.length) f.folders = folders;
  const from = stringFlag(args, 'from');
  if (from) f.dateFrom = from;
  const to = stringFlag(args, 'to');
  if (to) f.dateTo = to;
  const file = stringFlag(args, 'patient-list');
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--patient-list ${file} cannot be read: ${(e as Error).message}`);
    }
    f.patientIds = parsePatientList(text);
    if (f.patientIds.length === 0) throw new UsageError(`--patient-list ${file} holds no patient id (one per line; a CSV's first column).`);
  }
  const why = checkFilters(f);
  if (why) throw new UsageError(why);
  return Object.keys(f).length ? f : undefined;
}

export async function searchCommand(argv: string[]): Promise<number> {
  const args = parseArgs(
    argv,
    [...COMMON, 'patient', 'note', 'k', 'mode', 'aggregate', 'evidence', 'note-type', 'from', 'to', 'folder', 'patient-list', 'bundle', 'bundle-mode'],
    ['json', 'no-expand', 'patients'],
  );
  const [folder, ...words] = args.positionals;
  const query = words.join(' ');
  if (args.flags.has('bundle')) return bundleSearchCommand(folder, query, args);
  if (args.flags.has('bundle-mode')) throw new UsageError('--bundle-mode goes with --bundle');
  if (!query.trim()) throw new UsageError('a query is needed: drehr search <folder> <query> (or --bundle NAME)');
  const mode = stringFlag(args, 'mode') ?? DEFAULT_SEARCH_MODE;
  if (!isSearchMode(mode)) throw new UsageError(`--mode must be one of ${SEARCH_MODES.join(', ')}`);
  const k = intFlag(args, 'k', 1, 1000) ?? 10;
  const aggregate = stringFlag(args, 'aggregate');
  if (aggregate !== undefined && !isPatientAggregate(aggregate)) throw new UsageError(`--aggregate must be ${PATIENT_AGGREGATES.join(', ')}`);
  if ((aggregate !== undefined || args.flags.has('evidence')) && !args.flags.has('patients')) throw new UsageError('--aggregate and --evidence go with --patients');
  const evidence = intFlag(args, 'evidence', 1, 100);
  const filters = filtersFrom(args);
  const config = engineConfigFrom(folder, args);
  const engine = await Engine.open(config, stderrLogger, { wholeQueries: true });
  try {
    const params = {
      query, k, mode, patientId: stringFlag(args, 'patient'), noteId: stringFlag(args, 'note'),
      ...(args.flags.has('no-expand') ? { expand: false } : {}),
      ...(filters ? { filters } : {}),
    };
    if (args.flags.has('patients')) {
      const result = await engine.searchPatients({ ...params, ...(aggregate ? { aggregate } : {}), ...(evidence ? { evidence } : {}) });
      if (args.flags.has('json')) process.stdout.write(JSON.stringify(result) + '\n');
      else printPatients(result);
      return result.patients.length ? EXIT.ok : EXIT.noResults;
    }
    const result = await engine.search(params);
    if (args.flags.has('json')) process.stdout.write(JSON.stringify(result) + '\n');
    else printHits(result);
    return result.hits.length ? EXIT.ok : EXIT.noResults;
  } finally {
    await engine.close();
  }
}

/** `drehr search <folder> --bundle NAME|PATH`: the bundle's queries searched together; patients ranked (a bundle always ranks patients). */
async function bundleSearchCommand(folder: string | undefined, query: string, args: ParsedArgs): Promise<number> {
  if (query.trim()) throw new UsageError('--bundle runs the bundle\'s own queries: leave the query out');
  for (const f of ['patient', 'note']) if (args.flags.has(f)) throw new UsageError(`--${f} does not go with --bundle (use --patient-list to restrict the patients)`);
  const mode = stringFlag(args, 'mode') ?? DEFAULT_SEARCH_MODE;
  if (!isSearchMode(mode)) throw new UsageError(`--mode must be one of ${SEARCH_MODES.join(', ')}`);
  const aggregate = stringFlag(args, 'aggregate');
  if (aggregate !== undefined && !isPatientAggregate(aggregate)) throw new UsageError(`--aggregate must be ${PATIENT_AGGREGATES.join(', ')}`);
  const k = intFlag(args, 'k', 1, 1000) ?? 10;
  const evidence = intFlag(args, 'evidence', 1, 100);
  const filters = filtersFrom(args);
  const config = engineConfigFrom(folder, args);
  const { bundle, match } = bundleFromArgs(config.workspaceRoot, args);
  const engine = await Engine.open(config, stderrLogger, { wholeQueries: true });
  try {
    const result = await searchBundle(engine, bundle, {
      mode, match, k, ...(aggregate ? { aggregate } : {}), ...(evidence ? { evidence } : {}), ...(filters ? { filters } : {}), ...(args.flags.has('no-expand') ? { expand: false } : {}),
    });
    if (args.flags.has('json')) process.stdout.write(JSON.stringify(result) + '\n');
    else {
      process.stdout.write(`Bundle "${bundle.name}" (${bundle.queries.length} quer${bundle.queries.length === 1 ? 'y' : 'ies'}): patients found by ${match === 'all' ? 'every' : 'any'} query.\n`);
      printPatients(result);
    }
    return result.patients.length ? EXIT.ok : EXIT.noResults;
  } finally {
    await engine.close();
  }
}

function hitLines(h: SearchHit, indent: string): string {
  const where = `${h.sourcePath}${h.row !== undefined ? ` row ${h.row}` : ''} [${h.charStart}-${h.charEnd}]`;
  return `${indent}${where}\n${indent}${h.snippet.replace(/\s+/g, ' ')}\n`;
}

/** "Did you mean": the query with its misspelled words corrected, to run again. */
function printSuggestion(r: SearchResult | PatientSearchResult): void {
  if (r.suggestion) process.stdout.write(`Did you mean "${r.suggestion.query}"?\n`);
}

function printHits(r: SearchResult): void {
  printSuggestion(r);
  if (r.expansions.length) process.stdout.write(`also searched: ${r.expansions.join(', ')}\n`);
  if (r.hits.length === 0) process.stdout.write('No results.\n');
  r.hits.forEach((h, i) => {
    process.stdout.write(`${String(i + 1).padStart(2)}. ${h.score.toFixed(4)}  patient ${h.patientId}  note ${h.noteId}  (${h.matchedBy.join('+')})\n${hitLines(h, '    ')}`);
  });
}

function printPatients(r: PatientSearchResult): void {
  const out = process.stdout;
  printSuggestion(r);
  if (r.expansions.length) out.write(`also searched: ${r.expansions.join(', ')}\n`);
  out.write(`${r.patients.length} patient(s) from ${r.passagesRanked} ranked passages, scored by ${r.aggregate}${r.depthReached ? ' (passage depth reached: patients further down may match too)' : ''}.\n`);
  if (r.patients.length === 0) out.write('No results.\n');
  for (const p of r.patients) {
    out.write(`${String(p.rank).padStart(2)}. patient ${p.patientId}  ${p.score.toFixed(4)}  ${p.passages} passage(s) in ${p.notes} note(s)\n`);
    if (p.matchedQueries) out.write(`    found by: ${p.matchedQueries.join(' | ')}\n`);
    for (const h of p.evidence) out.write(`    - note ${h.noteId} ${h.score.toFixed(4)} (${h.matchedBy.join('+')})\n${hitLines(h, '      ')}`);
  }
}

export async function statusCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, COMMON, ['json']);
  const engine = await Engine.open(engineConfigFrom(args.positionals[0], args), stderrLogger);
  try {
    const s = await engine.status();
    if (args.flags.has('json')) process.stdout.write(JSON.stringify({ model: engine.model, index: s }) + '\n');
    else {
      process.stdout.write(`Model: ${engine.model.name} (${engine.model.id}, ${engine.model.engine ?? 'onnx'} on ${engine.model.device}${engine.model.dtype ? ` ${engine.model.dtype}` : ''}, ${engine.model.precision})\n`);
      process.stdout.write(`Index: ${s.state} at ${s.location}: ${s.notes} notes, ${s.chunks} chunks, ${s.patients} patients` + `${s.lastIndexedAt ? `, last indexed ${s.lastIndexedAt}` : ''}\n`);
      process.stdout.write(`Full-text index: ${s.hasFtsIndex ? 'yes' : 'no'}; ANN index: ${s.hasAnnIndex ? 'yes' : 'no'}${s.detail ? `\n${s.detail}` : ''}\n`);
    }
    return s.state === 'corrupt' ? EXIT.index : EXIT.ok;
  } finally {
    await engine.close();
  }
}
