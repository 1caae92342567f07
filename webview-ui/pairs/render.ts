/**
 * DOM building for the pairs review. Note text (the chunk, the entity) only ever enters the page as text nodes
 * (textContent, createTextNode); the evidence spans are <mark> elements around text nodes. Never innerHTML.
 */
import type { EvidenceSpan } from '../../src/shared/pairs';
import type { ChunkView, NumbersView, ProportionView } from '../../src/shared/webview-pairs';
import { normalizeHighlights } from '../search/render';

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The chunk text with its evidence spans marked. */
export function chunkText(text: string, evidence: readonly EvidenceSpan[]): DocumentFragment {
  const frag = document.createDocumentFragment();
  let at = 0;
  for (const h of normalizeHighlights(evidence, text.length)) {
    if (h.start > at) frag.append(document.createTextNode(text.slice(at, h.start)));
    const mark = el('mark', 'evidence', text.slice(h.start, h.end));
    frag.append(mark);
    at = h.end;
  }
  if (at < text.length) frag.append(document.createTextNode(text.slice(at)));
  return frag;
}

/** Fills the chunk box: text, or a stale/unavailable/loading notice (with the stale text, struck, when known). */
export function renderChunk(box: HTMLElement, banner: HTMLElement, chunk: ChunkView | undefined, evidence: readonly EvidenceSpan[]): void {
  box.replaceChildren();
  banner.textContent = '';
  banner.hidden = true;
  box.classList.remove('stale');
  box.dataset.state = chunk?.state ?? 'loading';
  if (!chunk || chunk.state === 'loading') {
    box.append(el('span', 'muted', 'Loading the chunk…'));
    return;
  }
  if (chunk.state === 'unavailable') {
    box.append(el('span', 'muted', chunk.message));
    return;
  }
  if (chunk.state === 'stale') {
    banner.hidden = false;
    banner.textContent =
      chunk.reason === 'missing'
        ? 'Stale: this chunk is no longer in the index (the note changed or was removed since the pair was made). Decide on the pair only if you know the note.'
        : 'Stale: the chunk text changed since the pair was made (its hash differs). The text below is today’s; the evidence offsets may not fit it.';
    box.classList.add('stale');
    if (chunk.text !== undefined) box.append(document.createTextNode(chunk.text));
    return;
  }
  box.append(chunkText(chunk.text, evidence));
}

export function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export function proportion(p: ProportionView | undefined): string {
  if (!p) return '–';
  return `${pct(p.p)} (95% CI ${pct(p.low)}–${pct(p.high)}; ${p.k}/${p.n})`;
}

function row(table: HTMLTableSectionElement, label: string, value: string, id?: string): void {
  const tr = el('tr');
  const th = el('th', undefined, label);
  th.scope = 'row';
  const td = el('td', undefined, value);
  if (id) td.id = id;
  tr.append(th, td);
  table.append(tr);
}

export function renderNumbers(host: HTMLElement, n: NumbersView): void {
  const table = el('table', 'numbers');
  const body = el('tbody');
  table.append(body);
  row(body, 'Pairs in the file', n.pairs.toLocaleString('en-US'), 'num-pairs');
  row(body, 'Reviewed', `${n.reviewed.toLocaleString('en-US')} (valid ${n.byLabel.valid}, noise ${n.byLabel.noise}, unsure ${n.byLabel.unsure})`, 'num-reviewed');
  row(body, 'Random-sample reviews', `${n.sampled}${n.unsureInSample ? ` (${n.unsureInSample} unsure, left out of the rate)` : ''}`, 'num-sampled');
  row(body, 'Noise rate (random sample)', n.noise ? proportion(n.noise) : 'review in the random-sample order to estimate it', 'num-noise');
  for (const t of ['diagnosis', 'procedure', 'drug'] as const) if (n.byType[t]) row(body, `  ${t}`, proportion(n.byType[t]));
  if (n.explicit) row(body, '  explicit', proportion(n.explicit));
  if (n.implicit) row(body, '  implicit', proportion(n.implicit));
  row(
    body,
    'Projected noisy pairs',
    n.projected ? `${n.projected.noisy.toLocaleString('en-US')} of ${n.projected.pairs.toLocaleString('en-US')} (${n.projected.low.toLocaleString('en-US')}–${n.projected.high.toLocaleString('en-US')})` : '–',
    'num-projected',
  );
  row(body, 'Suspicion score: ROC AUC', n.auc !== undefined ? `${n.auc.toFixed(3)} (${n.scored} reviewed pairs with a score)` : n.scored ? `– (${n.scored} scored; needs both valid and noise)` : '– (no scores)', 'num-auc');
  row(body, 'Precision in the top 10%', n.top10 ? `${pct(n.top10.precision)} (top ${n.top10.k})` : '–', 'num-top10');
  if (n.kappa) {
    row(
      body,
      "Cohen's kappa",
      `${n.kappa.kappa !== undefined ? n.kappa.kappa.toFixed(3) : 'undefined (one category only)'} (${n.kappa.reviewers.join(' vs ')}, ${n.kappa.n} pairs, agreement ${pct(n.kappa.agreement)})`,
      'num-kappa',
    );
  } else {
    row(body, "Cohen's kappa", n.reviewers.length > 1 ? 'no pair labelled by two reviewers yet' : '– (one reviewer)', 'num-kappa');
  }
  host.replaceChildren(table);
}

export const KEYS: ReadonlyArray<[string, string]> = [
  ['v', 'valid, then the next pair'],
  ['n', 'noise, then the next pair'],
  ['u', 'unsure, then the next pair'],
  ['z / Backspace', 'undo the last decision (a bulk one too)'],
  ['j / → / ↓', 'next pair'],
  ['k / ← / ↑', 'previous pair'],
  ['o', 'open the source note at the chunk'],
  ['?', 'this help'],
  ['Esc', 'close the help'],
];

export function helpOverlay(): HTMLElement {
  const overlay = el('div', 'help');
  overlay.id = 'help';
  overlay.setAttribute('role', 'dialog');
  overlay.setAttribute('aria-label', 'Keyboard shortcuts');
  overlay.hidden = true;
  const box = el('div', 'help-box');
  box.append(el('h2', undefined, 'Keys'));
  const dl = el('dl');
  for (const [k, what] of KEYS) dl.append(el('dt', undefined, k), el('dd', undefined, what));
  box.append(
    dl,
    el(
      'p',
      'muted',
      'Decisions are appended to the label log beside the pairs at once (nothing to save). Only decisions made in the random-sample order, without filters, feed the noise rate.',
    ),
  );
  overlay.append(box);
  return overlay;
}
