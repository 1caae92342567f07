/**
 * The pairs review webview (custom editor drehr.pairsReview). Draws what the host sends (`view`, then `chunk`)
 * and turns keys and clicks into the typed requests of src/shared/webview-pairs.ts; the host owns the review.
 * Keeps the order, filter, current pair and last view with setState so a hidden and shown-again editor draws at
 * once and comes back where it was.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type { Decision } from '../../src/shared/pairs';
import type {
  ChunkView,
  PairsReviewState,
  PairsReviewToHost,
  PairsReviewToWebview,
  ReviewFilterView,
  ReviewInfo,
  ReviewOrderName,
  ReviewView,
} from '../../src/shared/webview-pairs';
import { el, helpOverlay, renderChunk, renderNumbers } from './render';

interface VsCodeApi {
  postMessage(m: PairsReviewToHost): void;
  getState(): unknown;
  setState(s: PairsReviewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

function restore(): PairsReviewState | undefined {
  const s = vscode.getState();
  if (typeof s !== 'object' || s === null) return undefined;
  const o = s as Partial<PairsReviewState>;
  if (typeof o.order !== 'string' || typeof o.seed !== 'number' || typeof o.filter !== 'object' || o.filter === null) return undefined;
  return { order: o.order, seed: o.seed, filter: o.filter, help: o.help === true, ...(o.pairId ? { pairId: o.pairId } : {}), ...(o.view ? { view: o.view } : {}) };
}
const restored = restore();
const state: PairsReviewState = restored ?? { order: 'file', seed: 0, filter: {}, help: false };
let view: ReviewView | undefined = state.view;
let chunk: ChunkView | undefined;
let readOnly: string | undefined;

function save(): void {
  vscode.setState(state);
}
function send(m: PairsReviewToHost): void {
  vscode.postMessage(m);
}

type ValueElement = HTMLElement & { value: string };

function option(value: string, label: string, selected: boolean): HTMLElement {
  const o = document.createElement('vscode-option') as HTMLElement & { value: string; selected: boolean };
  o.value = value;
  o.textContent = label;
  if (selected) o.selected = true;
  return o;
}

function select(id: string, label: string, options: [string, string][], value: string): ValueElement {
  const s = document.createElement('vscode-single-select') as ValueElement;
  s.id = id;
  s.setAttribute('aria-label', label);
  s.title = label;
  for (const [v, l] of options) s.append(option(v, l, v === value));
  return s;
}

function button(id: string, text: string, title: string, onClick: () => void, secondary = false): HTMLElement {
  const b = document.createElement('vscode-button');
  b.id = id;
  b.textContent = text;
  b.title = title;
  if (secondary) b.setAttribute('secondary', '');
  b.addEventListener('click', onClick);
  return b;
}

// ---- layout ----
const header = el('div', 'header');
const fileName = el('span', 'file');
fileName.id = 'file';
const position = el('span', 'position');
position.id = 'position';
position.setAttribute('aria-live', 'polite');
header.append(fileName, position);

const controls = el('div', 'controls');
const orderSel = select('order', 'Order', [['file', 'File order'], ['sample', 'Random sample (for the estimate)'], ['suspicious', 'Most suspicious first']], state.order);
const seedField = document.createElement('vscode-textfield') as ValueElement;
seedField.id = 'seed';
seedField.setAttribute('aria-label', 'Random-sample seed');
seedField.title = 'Seed of the random sample (the same seed gives the same order everywhere)';
seedField.value = state.seed ? String(state.seed) : '';
const typeSel = select('filter-type', 'Entity type', [['', 'All types'], ['diagnosis', 'Diagnosis'], ['procedure', 'Procedure'], ['drug', 'Drug']], state.filter.type ?? '');
const labelSel = select(
  'filter-label',
  'Label',
  [['any', 'Any label'], ['unlabelled', 'Unlabelled'], ['labelled', 'Labelled'], ['valid', 'Valid'], ['noise', 'Noise'], ['unsure', 'Unsure']],
  state.filter.label ?? 'any',
);
const evidenceSel = select('filter-evidence', 'Explicit or implicit', [['', 'Explicit and implicit'], ['explicit', 'Explicit'], ['implicit', 'Implicit']], state.filter.evidence ?? '');
const generatorSel = select('filter-generator', 'Generator', [['', 'Any generator'], ['graph', 'Graph'], ['llm', 'LLM']], state.filter.generator ?? '');
const entityField = document.createElement('vscode-textfield') as ValueElement;
entityField.id = 'filter-entity';
entityField.setAttribute('placeholder', 'Entity contains…');
entityField.setAttribute('aria-label', 'Entity text filter');
entityField.value = state.filter.entity ?? '';
controls.append(orderSel, seedField, typeSel, labelSel, evidenceSel, generatorSel, entityField);

const notices = el('ul', 'notices');
notices.id = 'notices';

const card = el('section', 'card');
card.id = 'pair';
const entityLine = el('div', 'entity-line');
const entity = el('span', 'entity');
entity.id = 'entity';
const labelBadge = el('span', 'label-badge');
labelBadge.id = 'label';
entityLine.append(entity, labelBadge);
const meta = el('div', 'meta');
meta.id = 'meta';
const suspicion = el('div', 'suspicion');
suspicion.id = 'suspicion';
const staleBanner = el('div', 'stale-banner');
staleBanner.id = 'stale';
staleBanner.setAttribute('role', 'alert');
staleBanner.hidden = true;
const chunkBox = el('div', 'chunk');
chunkBox.id = 'chunk';
const openBtn = button('open', 'Open source note (o)', 'Open the note at this chunk', () => send({ type: 'open' }), true);
card.append(entityLine, meta, suspicion, staleBanner, chunkBox, openBtn);

const decideRow = el('div', 'buttons');
const decide = (label: Decision): void => {
  if (!view?.pair || view.loading) return;
  send({ type: 'decide', label });
};
decideRow.append(
  button('btn-valid', 'Valid (v)', 'The entity fits the chunk', () => decide('valid')),
  button('btn-noise', 'Noise (n)', 'The entity does not fit the chunk', () => decide('noise')),
  button('btn-unsure', 'Unsure (u)', 'Cannot tell', () => decide('unsure'), true),
  button('btn-undo', 'Undo (z)', 'Undo the last decision', () => send({ type: 'undo' }), true),
  button('btn-prev', 'Previous (k)', 'Previous pair', () => send({ type: 'move', delta: -1 }), true),
  button('btn-next', 'Next (j)', 'Next pair', () => send({ type: 'move', delta: 1 }), true),
  button('btn-help', 'Keys (?)', 'Show the keys', () => toggleHelp(), true),
);

const bulkRow = el('div', 'buttons bulk');
const bulkLabel = el('span', 'muted', 'Label the whole filtered list:');
bulkLabel.id = 'bulk-count';
bulkRow.append(
  bulkLabel,
  button('bulk-valid', 'All valid', 'Label every pair of the filtered list valid (asks first)', () => send({ type: 'bulk', label: 'valid' }), true),
  button('bulk-noise', 'All noise', 'Label every pair of the filtered list noise (asks first)', () => send({ type: 'bulk', label: 'noise' }), true),
  button('bulk-unsure', 'All unsure', 'Label every pair of the filtered list unsure (asks first)', () => send({ type: 'bulk', label: 'unsure' }), true),
);

const actions = el('div', 'buttons actions');
actions.append(
  button('act-score', 'Score', 'Compute suspicion scores in the sidecar', () => send({ type: 'score' }), true),
  button('act-export', 'Export Cleaned Pairs', 'Write the pairs without those labelled noise, with a summary', () => send({ type: 'export' }), true),
  button('act-train', 'Train Stage II on the Cleaned Pairs', 'Export the cleaned pairs and start Train Stage II on them', () => send({ type: 'train' }), true),
);

const numbers = el('section', 'numbers-box');
numbers.id = 'numbers';
numbers.setAttribute('aria-label', 'Numbers');

const toast = el('div', 'toast');
toast.id = 'toast';
toast.setAttribute('role', 'status');

const help = helpOverlay();
document.body.append(header, controls, notices, card, decideRow, bulkRow, actions, toast, numbers, help);

// ---- drawing ----
function draw(): void {
  const v = view;
  if (!v) {
    position.textContent = 'Loading…';
    return;
  }
  const loading = v.loading !== undefined;
  if (v.loading) {
    const pct = v.loading.total > 0 ? Math.floor((100 * v.loading.done) / v.loading.total) : 0;
    position.textContent = `Pair ${v.position + 1} · reading the pairs file (${pct}%): decisions wait until it is read`;
  } else {
    position.textContent = v.size === 0 ? 'No pair matches the filters.' : `Pair ${v.position + 1} of ${v.size.toLocaleString('en-US')}${v.sampling ? ' · random sample: decisions count for the estimate' : ''}`;
  }
  bulkLabel.textContent = `Label the whole filtered list (${v.size.toLocaleString('en-US')}):`;
  const p = v.pair;
  card.hidden = !p;
  if (p) {
    entity.textContent = p.entity;
    labelBadge.textContent = v.label ? `${v.label}${v.labelBy ? ` · ${v.labelBy}` : ''}${v.labelSampled ? ' · sample' : ''}` : 'unlabelled';
    labelBadge.dataset.label = v.label ?? 'none';
    const bits = [
      p.entityType,
      p.explicit === true ? 'explicit' : p.explicit === false ? 'implicit' : 'explicit/implicit unknown',
      p.generator ? `generator ${p.generator}` : `produced by ${p.producedBy}`,
      `model ${p.model}`,
      p.conceptId ?? '',
    ].filter((x) => x !== '');
    meta.textContent = bits.join(' · ');
    suspicion.replaceChildren();
    if (p.suspicion) {
      suspicion.append(el('span', 'score', `suspicion ${p.suspicion.score.toFixed(2)}`));
      const ul = el('ul', 'reasons');
      for (const r of p.suspicion.reasons) ul.append(el('li', undefined, `${r.code}${r.detail ? `: ${r.detail}` : ''}`));
      suspicion.append(ul);
    } else {
      suspicion.append(el('span', 'muted', v.scoresAvailable ? 'no suspicion score for this pair' : 'no suspicion scores (Score computes them)'));
    }
    renderChunk(chunkBox, staleBanner, chunk, p.evidence);
  }
  for (const id of ['btn-valid', 'btn-noise', 'btn-unsure', 'bulk-valid', 'bulk-noise', 'bulk-unsure']) {
    document.getElementById(id)?.toggleAttribute('disabled', readOnly !== undefined || !p || loading);
  }
  document.getElementById('btn-undo')?.toggleAttribute('disabled', !v.canUndo || readOnly !== undefined || loading);
  seedField.hidden = v.order !== 'sample';
  // Numbers over part of a file would mislead: they come once it is read.
  numbers.hidden = loading;
  if (!loading) renderNumbers(numbers, v.numbers);
}

function showInfo(info: ReviewInfo): void {
  fileName.textContent = `${info.file} · labels in ${info.labelsFile}`;
  readOnly = info.readOnly;
  notices.replaceChildren(...info.notices.map((n) => el('li', undefined, n)));
  notices.hidden = info.notices.length === 0;
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;
function showToast(text: string): void {
  toast.textContent = text;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (toast.textContent = ''), 8000);
}

function toggleHelp(open = help.hidden): void {
  help.hidden = !open;
  state.help = open;
  save();
}

// ---- input ----
function currentFilter(): ReviewFilterView {
  const f: ReviewFilterView = {};
  if (typeSel.value) f.type = typeSel.value as ReviewFilterView['type'];
  if (labelSel.value && labelSel.value !== 'any') f.label = labelSel.value as ReviewFilterView['label'];
  if (evidenceSel.value) f.evidence = evidenceSel.value as ReviewFilterView['evidence'];
  if (generatorSel.value) f.generator = generatorSel.value as ReviewFilterView['generator'];
  const e = entityField.value.trim();
  if (e) f.entity = e.slice(0, 200);
  return f;
}

function filterChanged(): void {
  state.filter = currentFilter();
  save();
  send({ type: 'setFilter', filter: state.filter });
}

function orderChanged(): void {
  const order = orderSel.value as ReviewOrderName;
  const seed = Number.parseInt(seedField.value, 10);
  state.order = order;
  save();
  send({ type: 'setOrder', order, ...(Number.isInteger(seed) && seed >= 0 ? { seed } : {}) });
}

orderSel.addEventListener('change', orderChanged);
seedField.addEventListener('change', orderChanged);
for (const s of [typeSel, labelSel, evidenceSel, generatorSel]) s.addEventListener('change', filterChanged);
let entityTimer: ReturnType<typeof setTimeout> | undefined;
entityField.addEventListener('input', () => {
  clearTimeout(entityTimer);
  entityTimer = setTimeout(filterChanged, 250);
});

function inFormControl(e: KeyboardEvent): boolean {
  return e.composedPath().some((t) => t instanceof HTMLElement && /^(VSCODE-TEXTFIELD|VSCODE-SINGLE-SELECT|INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
}

document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === 'Escape' && !help.hidden) {
    toggleHelp(false);
    e.preventDefault();
    return;
  }
  if (inFormControl(e)) return;
  const k = e.key;
  let handled = true;
  if (k === '?') toggleHelp();
  else if (k === 'v') decide('valid');
  else if (k === 'n') decide('noise');
  else if (k === 'u') decide('unsure');
  else if (k === 'z' || k === 'Backspace') send({ type: 'undo' });
  else if (k === 'j' || k === 'ArrowRight' || k === 'ArrowDown') send({ type: 'move', delta: 1 });
  else if (k === 'k' || k === 'ArrowLeft' || k === 'ArrowUp') send({ type: 'move', delta: -1 });
  else if (k === 'o') send({ type: 'open' });
  else handled = false;
  if (handled) e.preventDefault();
});

window.addEventListener('message', (ev: MessageEvent<PairsReviewToWebview>) => {
  const m = ev.data;
  switch (m.type) {
    case 'info':
      showInfo(m.info);
      draw();
      return;
    case 'view': {
      const samePair = view?.pair?.id === m.view.pair?.id;
      view = m.view;
      if (!samePair) chunk = undefined;
      state.view = m.view;
      state.order = m.view.order;
      state.seed = m.view.seed;
      state.filter = m.view.filter;
      if (m.view.pair) state.pairId = m.view.pair.id;
      else delete state.pairId;
      save();
      if (orderSel.value !== m.view.order) orderSel.value = m.view.order;
      draw();
      return;
    }
    case 'chunk':
      if (m.pairId !== view?.pair?.id) return; // an answer for a pair we already left
      chunk = m.chunk;
      if (view?.pair) renderChunk(chunkBox, staleBanner, chunk, view.pair.evidence);
      return;
    case 'toast':
      showToast(m.text);
      return;
  }
});

if (state.help) toggleHelp(true);
draw();
send({ type: 'ready', ...(restored ? { restore: { order: state.order, seed: state.seed, filter: state.filter, ...(state.pairId ? { pairId: state.pairId } : {}) } } : {}) });
