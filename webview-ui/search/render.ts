/**
 * DOM building for the search panel. Note text only ever enters the page as text nodes (createTextNode,
 * textContent); highlights are <mark> elements around text nodes. Never innerHTML.
 */
import type { Highlight, SearchHit } from '../../src/shared/protocol';

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

/** One result: a button (keyboard reachable) that opens the hit. */
export function hitElement(doc: Document, hit: SearchHit, onOpen: (hit: SearchHit) => void): HTMLLIElement {
  const li = el(doc, 'li', 'hit');
  const button = el(doc, 'button', 'hit-open');
  button.type = 'button';
  const head = el(doc, 'div', 'hit-head');
  head.append(el(doc, 'span', 'hit-patient', hit.patientId), el(doc, 'span', 'hit-note', hit.noteId), el(doc, 'span', 'hit-score', formatScore(hit.score)));
  const meta = [hit.noteType, hit.date, hit.row !== undefined ? `${hit.sourcePath} row ${hit.row}` : hit.sourcePath].filter(
    (x): x is string => typeof x === 'string' && x !== '',
  );
  const snippet = el(doc, 'div', 'hit-snippet');
  snippet.append(highlighted(doc, hit.snippet, hit.highlights));
  button.append(head, el(doc, 'div', 'hit-meta', meta.join(' · ')), snippet);
  button.title = `Open ${hit.sourcePath}`;
  button.addEventListener('click', () => onOpen(hit));
  li.append(button);
  return li;
}

export function renderHits(list: HTMLElement, hits: readonly SearchHit[], onOpen: (hit: SearchHit) => void): void {
  const doc = list.ownerDocument;
  list.replaceChildren(...hits.map((h) => hitElement(doc, h, onOpen)));
}
