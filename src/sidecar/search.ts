/**
 * A search over the store: dense, BM25 or both fused by reciprocal rank, turned into protocol hits; and the
 * same passage ranking grouped into patients (patients.ts). Filters go into the index query as prefilters.
 */
import type { PatientHit, PatientSearchParams, PatientSearchResult, SearchHit, SearchMode, SearchParams, SearchResult, SimilarParams } from '../shared/protocol';
import { SEARCH_MODES, isSearchMode } from '../shared/defaults';
import { DEFAULT_PATIENT_AGGREGATE, DEFAULT_PATIENT_EVIDENCE, isPatientAggregate, PATIENT_PASSAGE_DEPTH } from '../shared/search';
import type { Encoder } from './encoder/encoder';
import { badRequest, throwIfAborted } from './errors';
import { addedForms, findConcepts, fuseConcept, type FoundConcept } from './expansion/expand';
import { normTokens, type Lexicon } from './expansion/lexicon';
import { aggregatePatients } from './patients';
import { checkFilters, searchFilter, sqlString } from './store/filters';
import { HYBRID_FUSION, fuse, reciprocalRankFusion } from './store/rrf';
import { makeSnippet, queryTerms } from './store/snippet';
import type { RankedChunk, Store } from './store/store';

export const MAX_K = 1000;

export function checkSearchParams(p: SearchParams): void {
  if (typeof p?.query !== 'string' || p.query.trim() === '') throw badRequest('The search query is empty; type a few words.');
  if (!Number.isInteger(p.k) || p.k < 1 || p.k > MAX_K) throw badRequest(`k must be an integer from 1 to ${MAX_K}.`);
  if (!isSearchMode(p.mode)) throw badRequest(`mode must be one of ${SEARCH_MODES.join(', ')}.`);
  const why = checkFilters(p.filters);
  if (why) throw badRequest(why);
  if (p.disabledExpansions !== undefined && !(Array.isArray(p.disabledExpansions) && p.disabledExpansions.every((x) => typeof x === 'string'))) {
    throw badRequest('disabledExpansions must be a list of strings.');
  }
}

/** One ranked passage before it becomes a hit. */
export interface RankedPassage {
  chunk: RankedChunk['chunk'];
  score: number;
  matchedBy: SearchMode[];
  /** Set while only the ids are read (the rankings leave the rest out; Store.fillRows reads it for the hits shown). */
  rowId?: bigint;
}

interface Ranking {
  ranked: RankedPassage[];
  expansions: string[];
  disabled: string[];
}

/** The concepts' forms less the switched-off ones (a concept left with only the query's own words adds nothing). */
function withoutDisabled(concepts: FoundConcept[], disabled: ReadonlySet<string>): FoundConcept[] {
  if (disabled.size === 0) return concepts;
  return concepts.map((c) => ({ ...c, forms: c.forms.filter((f, i) => i === 0 || !disabled.has(f)) })).filter((c) => c.forms.length > 1);
}

/** BM25 over the query, plus (with a lexicon) one ranking per concept found in it, fused by reciprocal rank. */
async function lexical(
  store: Store,
  query: string,
  depth: number,
  where: string | undefined,
  concepts: FoundConcept[],
  cols: { idsOnly: boolean },
  signal?: AbortSignal,
): Promise<RankedChunk[]> {
  // Every list at once: LanceDB answers concurrent reads on its own threads (up to 1 + 5 × 8 full-text queries).
  // One full-text query per distinct text: a concept's first form is often the query itself ("HTN" and its form
  // "htn" are the same search to the index's lower-casing tokenizer), and two concepts can share a form.
  const memo = new Map<string, Promise<RankedChunk[]>>();
  const bm25 = (text: string): Promise<RankedChunk[]> => {
    const key = text.toLowerCase().split(/\s+/).filter(Boolean).join(' ');
    let p = memo.get(key);
    if (!p) memo.set(key, (p = store.bm25(text, depth, where, cols)));
    return p;
  };
  const [plain, ...perConcept] = await Promise.all([
    bm25(query),
    ...concepts.map((c) => Promise.all(c.forms.map(async (form) => (await bm25(form)).map((r) => ({ item: r, score: r.score }))))),
  ]);
  throwIfAborted(signal);
  if (concepts.length === 0) return plain;
  const lists: RankedChunk[][] = [plain, ...perConcept.map((perForm) => fuseConcept(perForm, (r) => r.chunk.id).map((x) => x.item))];
  const fused = reciprocalRankFusion(lists, (r) => r.chunk.id).slice(0, depth);
  return fused.map((f) => ({ chunk: f.item.chunk, score: f.score, rowId: f.item.rowId }));
}

/**
 * The passage ranking of a search, `want` passages deep (hybrid fuses deeper lists from each side), of which `shown`
 * become hits. Rankings that read more passages than are shown (hybrid, expansion, the patients view's 1000) read only
 * the ids (Store: id, note_id, patient_id), and the hits shown get the rest with Store.fillRows: a patients search ranks
 * 1000 passages from each of up to ~20 lists. A single list read exactly as deep as it is shown (dense, or BM25
 * without expansion) reads whole rows at once and saves the second round trip (bench/RESULTS.md).
 */
async function rankPassages(store: Store, encoder: Encoder, p: SearchParams, want: number, shown: number, signal?: AbortSignal, lexicon?: Lexicon): Promise<Ranking> {
  const where = searchFilter(p.patientId, p.noteId, p.filters);
  // Hybrid ranks more candidates from each side than it returns, so fusion has something to fuse.
  const depth = p.mode === 'hybrid' ? Math.min(MAX_K, Math.max(want * 2, 50)) : want;
  const asked = new Set((p.disabledExpansions ?? []).map((f) => normTokens(f).join(' ')));
  const found = lexicon && p.mode !== 'dense' ? findConcepts(p.query, lexicon) : [];
  const all = addedForms(p.query, found);
  const concepts = withoutDisabled(found, asked);
  const cols = { idsOnly: depth > shown || concepts.length > 0 };
  // The dense side (encode, then vector search) and the lexical side run at the same time.
  const denseSide = async (): Promise<RankedChunk[]> => {
    if (p.mode === 'bm25') return [];
    const [vec] = await encoder.embed([p.query], 'query', { signal });
    throwIfAborted(signal);
    return store.dense(vec, depth, where, cols);
  };
  const [dense, bm25] = await Promise.all([denseSide(), p.mode === 'dense' ? Promise.resolve([]) : lexical(store, p.query, depth, where, concepts, cols, signal)]);
  throwIfAborted(signal);
  let ranked: RankedPassage[];
  if (p.mode === 'hybrid') {
    const fused = fuse([dense, bm25], (r) => r.chunk.id, (r) => r.score, HYBRID_FUSION);
    ranked = fused.map((f) => ({ chunk: f.item.chunk, score: f.score, rowId: f.item.rowId, matchedBy: f.from.map((i) => (i === 0 ? 'dense' : 'bm25') as SearchMode) }));
  } else {
    ranked = (p.mode === 'dense' ? dense : bm25).map((r) => ({ chunk: r.chunk, score: r.score, rowId: r.rowId, matchedBy: [p.mode] }));
  }
  return { ranked: ranked.slice(0, want), expansions: all, disabled: all.filter((f) => asked.has(f)) };
}

/** The expansions (normalized token sequences) that occur in a text as whole tokens. */
export function matchedForms(text: string, forms: readonly string[]): string[] {
  if (forms.length === 0) return [];
  const hay = ` ${normTokens(text).join(' ')} `;
  return forms.filter((f) => hay.includes(` ${f} `));
}

function hitMaker(query: string, active: readonly string[]): (r: RankedPassage) => SearchHit {
  // The query's words and the words of the expansions searched (BM25 matched them word by word), whole
  // expansions as phrases on top (so "high blood pressure" is one mark); 1-2 letter pieces only as phrases.
  const expansionWords = queryTerms(active.join(' ')).filter((t) => t.length >= 3);
  const terms = [...new Set([...queryTerms(query), ...expansionWords])];
  return (r) => {
    const c = r.chunk;
    const matched = matchedForms(c.text, active);
    const { snippet, highlights } = makeSnippet(c.text, terms, undefined, matched);
    const hit: SearchHit = {
      chunkId: c.id,
      noteId: c.note_id,
      patientId: c.patient_id,
      sourcePath: c.source,
      charStart: c.char_start,
      charEnd: c.char_end,
      score: r.score,
      matchedBy: r.matchedBy,
      snippet,
      highlights,
    };
    if (matched.length) hit.matchedExpansions = matched;
    if (c.note_type) hit.noteType = c.note_type;
    if (c.date) hit.date = c.date;
    if (c.row >= 0) hit.row = c.row;
    return hit;
  };
}

function activeForms(r: Ranking): string[] {
  const off = new Set(r.disabled);
  return r.expansions.filter((f) => !off.has(f));
}

export async function searchStore(store: Store, encoder: Encoder, p: SearchParams, signal?: AbortSignal, lexicon?: Lexicon): Promise<SearchResult> {
  const started = performance.now();
  checkSearchParams(p);
  const r = await rankPassages(store, encoder, p, p.k, p.k, signal, lexicon);
  const shown = await store.fillRows(r.ranked);
  throwIfAborted(signal);
  const hits = shown.map(hitMaker(p.query, activeForms(r)));
  const result: SearchResult = { hits, expansions: r.expansions, tookMs: performance.now() - started };
  if (r.disabled.length) result.disabledExpansions = r.disabled;
  return result;
}

/**
 * Patients ranked by their passages: the passage ranking is taken PATIENT_PASSAGE_DEPTH deep (not `k` deep), so
 * a patient whose passages rank below the first k still counts; `k` is the number of patients returned.
 */
export async function searchPatients(store: Store, encoder: Encoder, p: PatientSearchParams, signal?: AbortSignal, lexicon?: Lexicon): Promise<PatientSearchResult> {
  const started = performance.now();
  checkSearchParams(p);
  if (p.aggregate !== undefined && !isPatientAggregate(p.aggregate)) throw badRequest('aggregate must be one of max, topk, rrf.');
  const evidence = p.evidence ?? DEFAULT_PATIENT_EVIDENCE;
  if (!Number.isInteger(evidence) || evidence < 1 || evidence > 100) throw badRequest('evidence must be an integer from 1 to 100.');
  const aggregate = p.aggregate ?? DEFAULT_PATIENT_AGGREGATE;
  const depth = Math.max(PATIENT_PASSAGE_DEPTH, p.k);
  const r = await rankPassages(store, encoder, p, Math.min(MAX_K, depth), p.k * evidence, signal, lexicon);
  const groups = aggregatePatients(r.ranked, (x) => x.chunk.patient_id, (x) => x.score, aggregate).slice(0, p.k);
  const shown = new Set(await store.fillRows(groups.flatMap((g) => g.items.slice(0, evidence))));
  throwIfAborted(signal);
  const toHit = hitMaker(p.query, activeForms(r));
  const patients: PatientHit[] = groups.map((g, i) => ({
    patientId: g.patientId,
    score: g.score,
    rank: i + 1,
    passages: g.items.length,
    notes: new Set(g.items.map((x) => x.chunk.note_id)).size,
    evidence: g.items.slice(0, evidence).filter((x) => shown.has(x)).map(toHit),
  }));
  const result: PatientSearchResult = {
    patients,
    aggregate,
    expansions: r.expansions,
    passagesRanked: r.ranked.length,
    depthReached: r.ranked.length >= Math.min(MAX_K, depth),
    tookMs: performance.now() - started,
  };
  if (r.disabled.length) result.disabledExpansions = r.disabled;
  return result;
}

/** Passages like one passage: its stored vector as a dense query (no model call), the passage itself left out. */
export async function similarPassages(store: Store, p: SimilarParams, signal?: AbortSignal): Promise<SearchResult> {
  const started = performance.now();
  if (typeof p?.chunkId !== 'string' || p.chunkId === '') throw badRequest('chunkId is missing.');
  if (!Number.isInteger(p.k) || p.k < 1 || p.k > MAX_K) throw badRequest(`k must be an integer from 1 to ${MAX_K}.`);
  const why = checkFilters(p.filters);
  if (why) throw badRequest(why);
  const vector = await store.vectorOf(p.chunkId);
  if (!vector) throw badRequest('That passage is no longer in the index (the note changed); search again.');
  throwIfAborted(signal);
  const own = noteOfChunk(p.chunkId);
  const excludeNote = p.excludeOwnNote ?? true;
  const where = [searchFilter(undefined, undefined, p.filters), excludeNote ? `note_id <> ${sqlString(own)}` : `id <> ${sqlString(p.chunkId)}`]
    .filter((x): x is string => x !== undefined)
    .join(' AND ');
  const ranked = await store.dense(vector, p.k, where);
  const toHit = hitMaker('', []);
  const hits = ranked.map((r) => toHit({ chunk: r.chunk, score: r.score, matchedBy: ['dense'] }));
  return { hits, expansions: [], tookMs: performance.now() - started };
}

/** Note id of a chunk id `<note id>::<ordinal>`. */
function noteOfChunk(chunkId: string): string {
  const i = chunkId.lastIndexOf('::');
  return i < 0 ? chunkId : chunkId.slice(0, i);
}
