/**
 * DOM building for the search panel. Note text only ever enters the page as text nodes (createTextNode,
 * textContent); highlights are <mark> elements around text nodes. Never innerHTML.
 */
import type { Highlight, PatientHit, SearchHit, SearchMode } from '../../src/shared/protocol';
import type { PatientAggregate } from '../../src/shared/search';

/** Sorted, clamped, merged highlight ranges inside [0, length). */
export function normalizeHighlights(hs: readonly Highlight[], length: number): Highlight[] {
  const clamped = hs
    .map((h) => ({ start: Math.max(0, Math.min(length, Math.floor(h.start))), end: Math.max(0, Math.min(length, Math.floor(h.end))) }))
    .filter((h) => h.end > h.start)
    .sort((a, b) => a.start - b.start);
  const out: Highlight[] = [];
  for (const h of clamped) {
    const last = out[out.length - 1];
    if (last && h.start <= last.end) last.end = Math.max(last.end, h.end);
    else out.push({ ...h });
  }
  return out;
}

export function highlighted(doc: Document, text: string, hs: readonly Highlight[]): DocumentFragment {
  const frag = doc.createDocumentFragment();
  let at = 0;
  for (const h of normalizeHighlights(hs, text.length)) {
    if (h.start > at) frag.append(doc.createTextNode(text.slice(at, h.start)));
    const mark = doc.createElement('mark');
    mark.textContent = text.slice(h.start, h.end);
    frag.append(mark);
    at = h.end;
  }
  if (at < text.length) frag.append(doc.createTextNode(text.slice(at)));
  return frag;
}

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function formatScore(score: number): string {
  if (!Number.isFinite(score)) return '–';
  return Math.abs(score) >= 1 ? score.toFixed(2) : score.toFixed(3);
}

/**
 * A relevance a reader understands: 0-100 relative to the top result of the same list (the top one is 100), so
 * "87" reads as "almost as good a match as the best". Raw scores differ in scale by ranker (cosine, BM25, fused
 * reciprocal ranks such as 0.0273) and mean nothing alone.
 */
export function relevance(score: number, top: number): number {
  if (!Number.isFinite(score) || !Number.isFinite(top) || top <= 0) return 0;
  return Math.max(0, Math.min(100, Math.round((100 * score) / top)));
}

const RAW: Record<SearchMode, string> = {
  hybrid: 'reciprocal-rank fusion of the dense and BM25 rankings (sum of 1/(60 + rank))',
  dense: 'cosine similarity of the DR.EHR embeddings',
  bm25: 'BM25 full-text score',
};

export function rankerLabel(matchedBy: readonly SearchMode[]): string {
  const d = matchedBy.includes('dense');
  const b = matchedBy.includes('bm25');
  return d && b ? 'dense + BM25' : d ? 'dense' : b ? 'BM25' : matchedBy.join(' + ');
}

export function relevanceTitle(rel: number, score: number, mode: SearchMode, rank: number, of: number, what = 'passage'): string {
  return (
    `Relevance ${rel} of 100: this ${what}'s score relative to the top result (100). ` +
    `Rank ${rank} of ${of}. Raw score ${formatScore(score)}: ${RAW[mode]}.`
  );
}

export interface HitOptions {
  mode: SearchMode;
  rank: number;
  of: number;
  top: number;
  onOpen: (hit: SearchHit) => void;
  onSimilar?: (hit: SearchHit) => void;
}

/** One result: a button (keyboard reachable) that opens the hit, and a "Similar" button beside it. */
export function hitElement(doc: Document, hit: SearchHit, o: HitOptions): HTMLLIElement {
  const li = el(doc, 'li', 'hit');
  const button = el(doc, 'button', 'hit-open nav');
  button.type = 'button';
  const rel = relevance(hit.score, o.top);
  const score = el(doc, 'span', 'hit-score', String(rel));
  score.title = relevanceTitle(rel, hit.score, o.mode, o.rank, o.of);
  const ranker = el(doc, 'span', `hit-ranker ranker-${hit.matchedBy.length > 1 ? 'both' : (hit.matchedBy[0] ?? 'none')}`, rankerLabel(hit.matchedBy));
  ranker.title = `Found by ${rankerLabel(hit.matchedBy)}`;
  const head = el(doc, 'div', 'hit-head');
  head.append(el(doc, 'span', 'hit-patient', hit.patientId), el(doc, 'span', 'hit-note', hit.noteId), ranker, score);
  const meta = [hit.noteType, hit.date, hit.row !== undefined ? `${hit.sourcePath} row ${hit.row}` : hit.sourcePath].filter(
    (x): x is string => typeof x === 'string' && x !== '',
  );
  const snippet = el(doc, 'div', 'hit-snippet');
  snippet.append(highlighted(doc, hit.snippet, hit.highlights));
  button.append(head, el(doc, 'div', 'hit-meta', meta.join(' · ')), snippet);
  if (hit.matchedExpansions?.length) button.append(el(doc, 'div', 'hit-via', `via ${hit.matchedExpansions.join(', ')}`));
  button.title = `Open ${hit.sourcePath} (Enter)`;
  button.addEventListener('click', () => o.onOpen(hit));
  li.append(button);
  if (o.onSimilar) {
    const similar = el(doc, 'button', 'hit-similar', 'Similar');
    similar.type = 'button';
    similar.title = 'Find passages like this one (its own embedding as the query)';
    const onSimilar = o.onSimilar;
    similar.addEventListener('click', () => onSimilar(hit));
    li.append(similar);
  }
  return li;
}

export function renderHits(list: HTMLElement, hits: readonly SearchHit[], mode: SearchMode, onOpen: (hit: SearchHit) => void, onSimilar?: (hit: SearchHit) => void): void {
  const doc = list.ownerDocument;
  const top = hits[0]?.score ?? 0;
  list.replaceChildren(...hits.map((h, i) => hitElement(doc, h, { mode, rank: i + 1, of: hits.length, top, onOpen, ...(onSimilar ? { onSimilar } : {}) })));
}

const AGGREGATE_TEXT: Record<PatientAggregate, string> = {
  max: "the score of the patient's best passage",
  topk: "the sum of the patient's best 3 passage scores",
  rrf: "the sum of 1/(60 + rank) over the patient's ranked passages",
};

export interface PatientOptions {
  mode: SearchMode;
  aggregate: PatientAggregate;
  of: number;
  top: number;
  expanded: boolean;
  onToggle: (patientId: string, open: boolean) => void;
  onOpen: (hit: SearchHit) => void;
  onSimilar?: (hit: SearchHit) => void;
}

/** One patient: a header button that expands to the passages that put the patient there. */
export function patientElement(doc: Document, p: PatientHit, o: PatientOptions): HTMLLIElement {
  const li = el(doc, 'li', 'patient');
  li.dataset.patient = p.patientId;
  const head = el(doc, 'button', 'patient-head nav');
  head.type = 'button';
  head.setAttribute('aria-expanded', String(o.expanded));
  const rel = relevance(p.score, o.top);
  const score = el(doc, 'span', 'hit-score', String(rel));
  score.title = `Relevance ${rel} of 100 relative to the top patient. Rank ${p.rank} of ${o.of}. Patient score ${formatScore(p.score)}: ${AGGREGATE_TEXT[o.aggregate]}.`;
  head.append(
    el(doc, 'span', 'twisty', o.expanded ? '▾' : '▸'),
    el(doc, 'span', 'hit-patient', p.patientId),
    el(doc, 'span', 'patient-count', `${p.passages} passage${p.passages === 1 ? '' : 's'} · ${p.notes} note${p.notes === 1 ? '' : 's'}`),
    score,
  );
  head.title = o.expanded ? 'Hide the passages (Left)' : 'Show the passages that put this patient here (Right)';
  head.addEventListener('click', () => o.onToggle(p.patientId, !o.expanded));
  li.append(head);
  if (p.matchedQueries?.length) li.append(el(doc, 'div', 'patient-queries', `found by: ${p.matchedQueries.join(' · ')}`));
  const best = p.evidence[0];
  if (!o.expanded && best) {
    const preview = el(doc, 'div', 'patient-preview');
    preview.append(highlighted(doc, best.snippet, best.highlights));
    li.append(preview);
  }
  if (o.expanded) {
    const list = el(doc, 'ul', 'evidence');
    const top = best?.score ?? 0;
    list.append(...p.evidence.map((h, i) => hitElement(doc, h, { mode: o.mode, rank: i + 1, of: p.evidence.length, top, onOpen: o.onOpen, ...(o.onSimilar ? { onSimilar: o.onSimilar } : {}) })));
    li.append(list);
  }
  return li;
}

/** Expansion chips: a toggle button per expansion, pressed = searched. */
export function chipElements(doc: Document, expansions: readonly string[], disabled: ReadonlySet<string>, onToggle: (form: string) => void): HTMLElement[] {
  return expansions.map((f) => {
    const b = el(doc, 'button', 'chip', f);
    b.type = 'button';
    const on = !disabled.has(f);
    b.setAttribute('aria-pressed', String(on));
    b.title = on ? `Also searching "${f}": click to leave it out` : `Not searching "${f}": click to search it again`;
    b.addEventListener('click', () => onToggle(f));
    return b;
  });
}
