/**
 * Benchmark files in CliniQ's layout (docs/CONTRACTS.md "Benchmarks"): parse, validate, read and write.
 * Parsing is pure (text in, records and issues out); `readBenchmark`/`writeBenchmark` do the file I/O.
 * A bad line never stops the evaluation: it becomes a `BenchIssue` and the rest is used.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchIssue, MatchType, QueryType } from '../shared/webview-eval';
import { MATCH_TYPES, QUERY_TYPES } from '../shared/webview-eval';
import { writeFileAtomicSync as writeFileAtomic } from '../shared/atomicWrite';

export const CHUNKER_ID = 'drehr-chunker-1';

export interface Chunking {
  words: number;
  overlap: number;
  minWords: number;
}

/** The unit of single-patient retrieval: a note (default), or all notes of a patient (CliniQ's own chunks as notes). */
export type SingleUnit = 'note' | 'patient';

export interface BenchMeta {
  name: string;
  single?: SingleUnit;
  chunking: Chunking;
  chunker: string;
  source?: string;
  counts?: Record<string, number>;
}

export interface BenchQuery {
  id: string;
  text: string;
  type: QueryType;
}

export interface Benchmark {
  dir: string;
  meta: BenchMeta;
  queries: Map<string, BenchQuery>;
  /** query id → chunk id → match type. */
  qrels: Map<string, Map<string, MatchType>>;
  /** Number of qrel lines read, valid or not. */
  qrelLines: number;
  issues: BenchIssue[];
}

/** A benchmark that cannot be used at all (missing file, bad bench.json): the message says what to do. */
export class BenchmarkError extends Error {}

function isPositiveInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}

export function parseBenchMeta(text: string, where = 'bench.json'): BenchMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BenchmarkError(`${where} is not valid JSON (${(e as Error).message}). Rebuild the benchmark with scripts/build_benchmarks.sh.`);
  }
  if (typeof raw !== 'object' || raw === null) throw new BenchmarkError(`${where} must hold a JSON object.`);
  const o = raw as Record<string, unknown>;
  const ch = o.chunking as Record<string, unknown> | undefined;
  if (o.single !== undefined && o.single !== 'note' && o.single !== 'patient') {
    throw new BenchmarkError(`${where}: "single" is "note" or "patient" (the unit of single-patient retrieval).`);
  }
  if (!ch || !isPositiveInt(ch.words) || !isPositiveInt(ch.overlap) || !isPositiveInt(ch.minWords) || ch.words === 0) {
    throw new BenchmarkError(`${where} needs "chunking": {"words", "overlap", "minWords"} as whole numbers, the chunking its chunk ids were made with.`);
  }
  return {
    name: typeof o.name === 'string' && o.name ? o.name : 'benchmark',
    chunking: { words: ch.words, overlap: ch.overlap, minWords: ch.minWords },
    chunker: typeof o.chunker === 'string' ? o.chunker : CHUNKER_ID,
    ...(o.single === 'patient' || o.single === 'note' ? { single: o.single } : {}),
    source: typeof o.source === 'string' ? o.source : undefined,
    counts: typeof o.counts === 'object' && o.counts !== null ? (o.counts as Record<string, number>) : undefined,
  };
}

/** queries.jsonl: one `{"query_id", "text", "type"}` a line (CliniQ's `_id` is accepted for query_id). */
export function parseQueries(text: string, file = 'queries.jsonl'): { queries: Map<string, BenchQuery>; issues: BenchIssue[] } {
  const queries = new Map<string, BenchQuery>();
  const issues: BenchIssue[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${file}:${i + 1}`;
    let o: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      o = v as Record<string, unknown>;
    } catch {
      issues.push({ kind: 'malformed-line', where, message: 'not a JSON object; the line is skipped' });
      return;
    }
    const id = typeof o.query_id === 'string' ? o.query_id : typeof o._id === 'string' ? o._id : undefined;
    const qtext = typeof o.text === 'string' ? o.text.trim() : '';
    const type = o.type as QueryType;
    if (!id || !qtext) {
      issues.push({ kind: 'malformed-line', where, message: 'needs "query_id" and a non-empty "text"; the line is skipped' });
      return;
    }
    if (!QUERY_TYPES.includes(type)) {
      issues.push({ kind: 'malformed-line', where, message: `"type" must be one of ${QUERY_TYPES.join(', ')}; the line is skipped` });
      return;
    }
    if (queries.has(id)) {
      issues.push({ kind: 'duplicate-query', where, message: `query id ${id} appears again; the first one is kept` });
      return;
    }
    queries.set(id, { id, text: qtext, type });
  });
  return { queries, issues };
}

/** qrels.tsv: `query_id<TAB>chunk_id<TAB>match_type`, no header. Unknown queries are reported and dropped. */
export function parseQrels(
  text: string,
  queries: ReadonlyMap<string, BenchQuery>,
  file = 'qrels.tsv',
): { qrels: Map<string, Map<string, MatchType>>; lines: number; issues: BenchIssue[] } {
  const qrels = new Map<string, Map<string, MatchType>>();
  const issues: BenchIssue[] = [];
  let lines = 0;
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    lines++;
    const where = `${file}:${i + 1}`;
    const f = line.split('\t').map((s) => s.trim());
    if (f.length !== 3 || !f[0] || !f[1]) {
      issues.push({ kind: 'malformed-line', where, message: 'needs 3 tab-separated fields: query_id, chunk_id, match_type' });
      return;
    }
    const [qid, chunk, mt] = f;
    if (!MATCH_TYPES.includes(mt as MatchType)) {
      issues.push({ kind: 'bad-match-type', where, message: `match type "${mt}" is not one of ${MATCH_TYPES.join(', ')}` });
      return;
    }
    if (!queries.has(qid)) {
      issues.push({ kind: 'unknown-query', where, message: `query id ${qid} is not in queries.jsonl` });
      return;
    }
    let m = qrels.get(qid);
    if (!m) qrels.set(qid, (m = new Map()));
    if (m.has(chunk)) {
      issues.push({ kind: 'duplicate-qrel', where, message: `(${qid}, ${chunk}) is labelled again; the first label is kept` });
      return;
    }
    m.set(chunk, mt as MatchType);
  });
  return { qrels, lines, issues };
}

/**
 * Drops qrels whose chunk the corpus does not hold (reported as unknown-chunk) and reports queries left
 * without any relevant chunk. Returns the issues; `qrels` is changed in place.
 */
export function checkAgainstCorpus(
  qrels: Map<string, Map<string, MatchType>>,
  queries: ReadonlyMap<string, BenchQuery>,
  knownChunks: ReadonlySet<string>,
): BenchIssue[] {
  const issues: BenchIssue[] = [];
  for (const [qid, m] of qrels) {
    for (const chunk of [...m.keys()]) {
      if (!knownChunks.has(chunk)) {
        issues.push({ kind: 'unknown-chunk', where: `qrels.tsv (${qid})`, message: `chunk ${chunk} is not in the corpus as chunked; the label is skipped` });
        m.delete(chunk);
      }
    }
  }
  for (const qid of queries.keys()) {
    if (!qrels.get(qid)?.size) {
      issues.push({ kind: 'query-without-relevant', where: `queries.jsonl (${qid})`, message: `query ${qid} has no relevant chunk in the corpus; it is not scored` });
    }
  }
  return issues;
}

/** Why a benchmark cannot be scored with an index chunked as `used`, or undefined when it can. */
export function chunkingMismatch(meta: BenchMeta, used: Chunking, chunker = CHUNKER_ID): string | undefined {
  const b = meta.chunking;
  if (meta.chunker !== chunker) {
    return `the benchmark's chunk ids come from chunker "${meta.chunker}", this tool chunks with "${chunker}"; rebuild the benchmark with this version`;
  }
  if (b.words !== used.words || b.overlap !== used.overlap || b.minWords !== used.minWords) {
    return (
      `the benchmark was chunked with words=${b.words}, overlap=${b.overlap}, minWords=${b.minWords} but the index uses ` +
      `words=${used.words}, overlap=${used.overlap}, minWords=${used.minWords}, so its chunk ids name other text; ` +
      `evaluate with the benchmark's chunking or rebuild the benchmark`
    );
  }
  return undefined;
}

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BenchmarkError(
      code === 'ENOENT'
        ? `${what} is missing: ${file}. A benchmark folder holds notes/, queries.jsonl, qrels.tsv and bench.json (docs/CONTRACTS.md).`
        : `${what} cannot be read: ${file} (${code ?? (e as Error).message}).`,
    );
  }
}

export function readBenchmark(dir: string): Benchmark {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new BenchmarkError(`Benchmark folder not found: ${abs}`);
  if (!fs.existsSync(path.join(abs, 'notes'))) {
    throw new BenchmarkError(`${abs} has no notes/ folder: a benchmark folder holds notes/, queries.jsonl, qrels.tsv and bench.json.`);
  }
  const meta = parseBenchMeta(readText(path.join(abs, 'bench.json'), 'bench.json'));
  const q = parseQueries(readText(path.join(abs, 'queries.jsonl'), 'queries.jsonl'));
  const r = parseQrels(readText(path.join(abs, 'qrels.tsv'), 'qrels.tsv'), q.queries);
  return { dir: abs, meta, queries: q.queries, qrels: r.qrels, qrelLines: r.lines, issues: [...q.issues, ...r.issues] };
}

export function formatQueries(queries: Iterable<BenchQuery>): string {
  return [...queries].map((q) => JSON.stringify({ query_id: q.id, text: q.text, type: q.type }) + '\n').join('');
}

export function formatQrels(qrels: ReadonlyMap<string, ReadonlyMap<string, MatchType>>): string {
  const out: string[] = [];
  for (const [qid, m] of qrels) for (const [chunk, mt] of m) out.push(`${qid}\t${chunk}\t${mt}\n`);
  return out.join('');
}

/** Writes queries.jsonl, qrels.tsv and bench.json (each through a temp file and a rename). notes/ is the caller's. */
export function writeBenchmark(dir: string, meta: BenchMeta, queries: Iterable<BenchQuery>, qrels: ReadonlyMap<string, ReadonlyMap<string, MatchType>>): void {
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, 'queries.jsonl'), formatQueries(queries));
  writeFileAtomic(path.join(dir, 'qrels.tsv'), formatQrels(qrels));
  writeFileAtomic(path.join(dir, 'bench.json'), JSON.stringify(meta, null, 2) + '\n');
}
