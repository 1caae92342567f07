/**
 * Term bundles (EMERSE's most used feature): a named set of queries searched together, kept as JSON in the
 * workspace (`.drehr/bundles/<name>.json`) so a team shares them in git. Parsing with clear messages, file
 * names, and combining the per-query patient rankings (a patient is a hit when any, or every, query matches).
 * Pure, browser-safe.
 *
 * Schema (format 1):
 *   {
 *     "name": "Heart failure",                 // required, 1-100 characters
 *     "description": "HFrEF and HFpEF cohort",  // optional
 *     "queries": ["heart failure", "CHF", "reduced ejection fraction"],   // required, 1-50 non-empty strings
 *     "match": "any",                           // optional: "any" (default) or "all"
 *     "mode": "hybrid"                          // optional: hybrid | dense | bm25 (default: the panel's mode)
 *   }
 */
import type { PatientHit, PatientSearchParams, PatientSearchResult, SearchHit, SearchMode } from './protocol';
import type { PatientAggregate, SearchFilters } from './search';

export const BUNDLES_FOLDER = '.drehr/bundles';
export const MAX_BUNDLE_QUERIES = 50;
export type BundleMatch = 'any' | 'all';

export interface TermBundle {
  name: string;
  description?: string;
  queries: string[];
  match: BundleMatch;
  mode?: SearchMode;
}

export type BundleParse = { ok: true; bundle: TermBundle; warnings: string[] } | { ok: false; errors: string[] };

const KEYS = ['name', 'description', 'queries', 'match', 'mode'];

/** A bundle file's text → the bundle, or every problem with it (each message names the field and says what to write). */
export function parseBundle(text: string, file: string): BundleParse {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    return { ok: false, errors: [`${file} is not valid JSON (${(e as Error).message}). A bundle looks like {"name": "Heart failure", "queries": ["heart failure", "CHF"]}.`] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, errors: [`${file} must hold one JSON object with "name" and "queries".`] };
  const o = raw as Record<string, unknown>;
  const errors: string[] = [];
  const warnings: string[] = [];
  if (typeof o.name !== 'string' || o.name.trim() === '') errors.push(`${file}: "name" must be a non-empty string.`);
  else if (o.name.length > 100) errors.push(`${file}: "name" is ${o.name.length} characters long; at most 100.`);
  if (o.description !== undefined && typeof o.description !== 'string') errors.push(`${file}: "description" must be a string.`);
  let queries: string[] = [];
  if (!Array.isArray(o.queries)) errors.push(`${file}: "queries" must be a list of strings, e.g. ["heart failure", "CHF"].`);
  else {
    o.queries.forEach((q, i) => {
      if (typeof q !== 'string') errors.push(`${file}: queries[${i}] must be a string.`);
      else if (q.trim() === '') errors.push(`${file}: queries[${i}] is empty.`);
    });
    queries = [...new Set((o.queries.filter((q) => typeof q === 'string') as string[]).map((q) => q.trim()).filter((q) => q !== ''))];
    if (o.queries.length === 0) errors.push(`${file}: "queries" is empty; add at least one query.`);
    if (queries.length > MAX_BUNDLE_QUERIES) errors.push(`${file}: ${queries.length} queries; at most ${MAX_BUNDLE_QUERIES}.`);
    if (queries.length < o.queries.filter((q) => typeof q === 'string' && q.trim() !== '').length) warnings.push(`${file}: repeated queries are searched once.`);
  }
  if (o.match !== undefined && o.match !== 'any' && o.match !== 'all') errors.push(`${file}: "match" must be "any" or "all".`);
  if (o.mode !== undefined && o.mode !== 'hybrid' && o.mode !== 'dense' && o.mode !== 'bm25') errors.push(`${file}: "mode" must be "hybrid", "dense" or "bm25".`);
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) warnings.push(`${file}: "${k.slice(0, 40)}" is not a bundle field and is ignored.`);
  if (errors.length) return { ok: false, errors };
  const bundle: TermBundle = { name: (o.name as string).trim(), queries, match: (o.match as BundleMatch | undefined) ?? 'any' };
  if (typeof o.description === 'string' && o.description.trim()) bundle.description = o.description.trim();
  if (o.mode !== undefined) bundle.mode = o.mode as SearchMode;
  return { ok: true, bundle, warnings };
}

export function bundleJson(b: TermBundle): string {
  return JSON.stringify(b, null, 2) + '\n';
}

/** A file name for a bundle name: lowercase letters, digits and dashes ("Heart failure (HFrEF)" → "heart-failure-hfref"). */
export function bundleFileName(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${slug || 'bundle'}.json`;
}

/** The rank-fusion constant for combining the queries' patient rankings. */
export const BUNDLE_RRF_K = 60;

export interface BundleRun {
  query: string;
  result: PatientSearchResult;
}

/**
 * One patient ranking from the queries' rankings: with `any`, every patient any query found; with `all`, only
 * patients every query found. Score: the sum over queries of 1 / (BUNDLE_RRF_K + rank), so each query counts
 * the same whatever its score scale. Evidence: each query's best passages, best query first, up to `evidence`.
 */
export function combineBundle(name: string, runs: readonly BundleRun[], match: BundleMatch, evidence = 5): PatientSearchResult & { bundle: string } {
  const byPatient = new Map<string, { score: number; queries: string[]; hits: Array<{ hit: SearchHit; rank: number }>; passages: number; notes: Set<string> }>();
  for (const run of runs) {
    for (const p of run.result.patients) {
      let e = byPatient.get(p.patientId);
      if (!e) byPatient.set(p.patientId, (e = { score: 0, queries: [], hits: [], passages: 0, notes: new Set() }));
      e.score += 1 / (BUNDLE_RRF_K + p.rank);
      e.queries.push(run.query);
      e.passages += p.passages;
      for (const h of p.evidence) {
        e.hits.push({ hit: h, rank: p.rank });
        e.notes.add(h.noteId);
      }
    }
  }
  const need = runs.length;
  const patients: PatientHit[] = [...byPatient.entries()]
    .filter(([, e]) => match === 'any' || e.queries.length === need)
    .sort((a, b) => b[1].score - a[1].score || a[0].localeCompare(b[0]))
    .map(([patientId, e], i) => {
      const seen = new Set<string>();
      const ev: SearchHit[] = [];
      for (const { hit } of e.hits.sort((a, b) => a.rank - b.rank)) {
        if (seen.has(hit.chunkId) || ev.length >= evidence) continue;
        seen.add(hit.chunkId);
        ev.push(hit);
      }
      return { patientId, score: e.score, rank: i + 1, passages: e.passages, notes: e.notes.size, evidence: ev, matchedQueries: e.queries };
    });
  const expansions = [...new Set(runs.flatMap((r) => r.result.expansions))];
  return {
    bundle: name,
    patients,
    aggregate: runs[0]?.result.aggregate ?? 'max',
    expansions,
    passagesRanked: runs.reduce((s, r) => s + r.result.passagesRanked, 0),
    depthReached: runs.some((r) => r.result.depthReached),
    tookMs: runs.reduce((s, r) => s + r.result.tookMs, 0),
  };
}

/** Patients ranked per query before combining: deep, so "all" can intersect patients that rank low for one query. */
export const BUNDLE_QUERY_DEPTH = 1000;
/** Evidence passages kept per patient and query (the combined list keeps `evidence` of them). */
export const BUNDLE_QUERY_EVIDENCE = 3;

export interface BundleRunOptions {
  /** The mode when the bundle names none. */
  mode: SearchMode;
  match: BundleMatch;
  aggregate?: PatientAggregate;
  filters?: SearchFilters;
  expand?: boolean;
  /** Evidence passages per patient in the combined list (default 5). */
  evidence?: number;
}

/**
 * Runs every query of a bundle as a patient search (one after another, through `searchPatients`: the sidecar
 * request in the editor, the engine in the CLI) and combines them (combineBundle). The same code for both.
 */
export async function runBundle(
  b: TermBundle,
  o: BundleRunOptions,
  searchPatients: (p: PatientSearchParams) => Promise<PatientSearchResult>,
): Promise<PatientSearchResult & { bundle: string }> {
  const runs: BundleRun[] = [];
  for (const query of b.queries) {
    const params: PatientSearchParams = { query, k: BUNDLE_QUERY_DEPTH, mode: b.mode ?? o.mode, evidence: Math.max(BUNDLE_QUERY_EVIDENCE, o.evidence ?? 0) };
    if (o.aggregate) params.aggregate = o.aggregate;
    if (o.filters) params.filters = o.filters;
    if (o.expand !== undefined) params.expand = o.expand;
    runs.push({ query, result: await searchPatients(params) });
  }
  return combineBundle(b.name, runs, o.match, o.evidence);
}
