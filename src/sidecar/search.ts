/** A search over the store: dense, BM25 or both fused by reciprocal rank, turned into protocol hits. */
import { SEARCH_MODES, isSearchMode } from '../shared/defaults';
import type { SearchHit, SearchMode, SearchParams, SearchResult } from '../shared/protocol';
import type { Encoder } from './encoder/encoder';
import { badRequest, throwIfAborted } from './errors';
import { addedForms, findConcepts, fuseConcept } from './expansion/expand';
import type { Lexicon } from './expansion/lexicon';
import { searchFilter } from './store/filters';
import { reciprocalRankFusion } from './store/rrf';
import { makeSnippet, queryTerms } from './store/snippet';
import type { RankedChunk, Store } from './store/store';

export const MAX_K = 1000;

export function checkSearchParams(p: SearchParams): void {
  if (typeof p?.query !== 'string' || p.query.trim() === '') throw badRequest('The search query is empty; type a few words.');
  if (!Number.isInteger(p.k) || p.k < 1 || p.k > MAX_K) throw badRequest(`k must be an integer from 1 to ${MAX_K}.`);
  if (!isSearchMode(p.mode)) throw badRequest(`mode must be one of ${SEARCH_MODES.join(', ')}.`);
}

/** BM25 over the query, plus (with a lexicon) one ranking per concept found in it, fused by reciprocal rank. */
async function lexical(store: Store, p: SearchParams, depth: number, where: string | undefined, lexicon: Lexicon | undefined, signal?: AbortSignal): Promise<{ ranked: RankedChunk[]; expansions: string[] }> {
  const plain = await store.bm25(p.query, depth, where);
  const concepts = lexicon ? findConcepts(p.query, lexicon) : [];
  if (concepts.length === 0) return { ranked: plain, expansions: [] };
  const lists: RankedChunk[][] = [plain];
  for (const c of concepts) {
    throwIfAborted(signal);
    const perForm = [];
    for (const form of c.forms) perForm.push((await store.bm25(form, depth, where)).map((r) => ({ item: r, score: r.score })));
    lists.push(fuseConcept(perForm, (r) => r.chunk.id).map((x) => x.item));
  }
  const fused = reciprocalRankFusion(lists, (r) => r.chunk.id).slice(0, depth);
  return { ranked: fused.map((f) => ({ chunk: f.item.chunk, score: f.score })), expansions: addedForms(p.query, concepts) };
}

export async function searchStore(store: Store, encoder: Encoder, p: SearchParams, signal?: AbortSignal, lexicon?: Lexicon): Promise<SearchResult> {
  const started = performance.now();
  checkSearchParams(p);
  const where = searchFilter(p.patientId, p.noteId);
  // Hybrid ranks more candidates from each side than it returns, so fusion has something to fuse.
  const depth = p.mode === 'hybrid' ? Math.min(MAX_K, Math.max(p.k * 2, 50)) : p.k;
  let dense: RankedChunk[] = [];
  let bm25: RankedChunk[] = [];
  if (p.mode !== 'bm25') {
    const [vec] = await encoder.embed([p.query], 'query', { signal });
    throwIfAborted(signal);
    dense = await store.dense(vec, depth, where);
  }
  throwIfAborted(signal);
  let expansions: string[] = [];
  if (p.mode !== 'dense') ({ ranked: bm25, expansions } = await lexical(store, p, depth, where, lexicon, signal));
  throwIfAborted(signal);

  let ranked: Array<{ r: RankedChunk; score: number; matchedBy: SearchMode[] }>;
  if (p.mode === 'hybrid') {
    const fused = reciprocalRankFusion([dense, bm25], (r) => r.chunk.id);
    ranked = fused.map((f) => ({ r: f.item, score: f.score, matchedBy: f.from.map((i) => (i === 0 ? 'dense' : 'bm25') as SearchMode) }));
  } else {
    ranked = (p.mode === 'dense' ? dense : bm25).map((r) => ({ r, score: r.score, matchedBy: [p.mode] }));
  }
  const terms = queryTerms([p.query, ...expansions].join(' '));
  const hits: SearchHit[] = ranked.slice(0, p.k).map(({ r, score, matchedBy }) => {
    const c = r.chunk;
    const { snippet, highlights } = makeSnippet(c.text, terms);
    const hit: SearchHit = {
      chunkId: c.id,
      noteId: c.note_id,
      patientId: c.patient_id,
      sourcePath: c.source,
      charStart: c.char_start,
      charEnd: c.char_end,
      score,
      matchedBy,
      snippet,
      highlights,
    };
    if (c.note_type) hit.noteType = c.note_type;
    if (c.date) hit.date = c.date;
    if (c.row >= 0) hit.row = c.row;
    return hit;
  });
  return { hits, expansions, tookMs: performance.now() - started };
}
