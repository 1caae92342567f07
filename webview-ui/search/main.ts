/**
 * The search panel (webview view drehr.search). Talks to the host only through the typed messages of
 * src/shared/webview.ts; keeps its query, mode, patient and last result with setState so the view comes back
 * as it was. Searches as you type (debounced), and ignores replies to searches that a newer one replaced.
 */
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { SearchMode } from '../../src/shared/protocol';
import type { SearchPanelState, SearchPanelToHost, SearchPanelToWebview } from '../../src/shared/webview';
import { renderHits } from './render';

interface VsCodeApi {
  postMessage(m: SearchPanelToHost): void;
  getState(): unknown;
  setState(s: SearchPanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const DEBOUNCE_MS = 250;
const MODES: { value: SearchMode; label: string }[] = [
  { value: 'hybrid', label: 'Hybrid (dense + BM25)' },
  { value: 'dense', label: 'Dense (DR.EHR)' },
  { value: 'bm25', label: 'BM25 (full text)' },
];

const vscode = acquireVsCodeApi();

function restore(): SearchPanelState | undefined {
  const s = vscode.getState();
  if (typeof s !== 'object' || s === null) return undefined;
  const o = s as Partial<SearchPanelState>;
  if (typeof o.query !== 'string' || typeof o.mode !== 'string' || typeof o.patientId !== 'string') return undefined;
  return o as SearchPanelState;
}

const restored = restore();
const state: SearchPanelState = restored ?? { query: '', mode: 'hybrid', patientId: '' };

type ValueElement = HTMLElement & { value: string };

function option(value: string, label: string, selected: boolean): HTMLElement {
  const o = document.createElement('vscode-option') as HTMLElement & { value: string; selected: boolean };
  o.value = value;
  o.textContent = label;
  if (selected) o.selected = true;
  return o;
}

// ---- layout (built with DOM calls; the HTML shell has an empty body) ----
const form = document.createElement('div');
form.className = 'bar';
const query = document.createElement('vscode-textfield') as ValueElement;
query.id = 'query';
query.setAttribute('placeholder', 'Search notes, e.g. "shortness of breath"');
query.setAttribute('aria-label', 'Search query');
query.value = state.query;
const mode = document.createElement('vscode-single-select') as ValueElement;
mode.id = 'mode';
mode.setAttribute('aria-label', 'Ranking');
for (const m of MODES) mode.append(option(m.value, m.label, m.value === state.mode));
const patient = document.createElement('vscode-single-select') as ValueElement;
patient.id = 'patient';
patient.setAttribute('aria-label', 'Patient');
patient.setAttribute('combobox', '');
patient.append(option('', 'All patients', state.patientId === ''));
if (state.patientId) patient.append(option(state.patientId, state.patientId, true));
form.append(query, mode, patient);

const message = document.createElement('div');
message.id = 'message';
message.setAttribute('role', 'status');
const also = document.createElement('div');
also.id = 'also';
const results = document.createElement('ul');
results.id = 'results';
results.setAttribute('aria-label', 'Results');
document.body.append(form, message, also, results);

// ---- behaviour ----
let nextId = 1;
let latest = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let patientsRequest = 0;

function save(): void {
  vscode.setState(state);
}

function showMessage(text: string): void {
  message.textContent = text;
  message.hidden = text === '';
}

function showResult(): void {
  const r = state.result;
  if (!r) {
    results.replaceChildren();
    also.textContent = '';
    return;
  }
  renderHits(results, r.hits, (hit) => vscode.postMessage({ type: 'open', hit }));
  also.textContent = r.expansions.length ? `also searched: ${r.expansions.join(', ')}` : '';
  showMessage(r.hits.length === 0 ? 'No passages found.' : `${r.hits.length} passage${r.hits.length === 1 ? '' : 's'} · ${Math.round(r.tookMs)} ms`);
}

function search(now = false): void {
  clearTimeout(timer);
  const run = () => {
    const q = state.query.trim();
    if (q === '') {
      latest = 0;
      delete state.result;
      save();
      showResult();
      showMessage('');
      return;
    }
    const id = nextId++;
    latest = id;
    results.setAttribute('aria-busy', 'true');
    vscode.postMessage({ type: 'search', id, query: q, mode: state.mode, ...(state.patientId ? { patientId: state.patientId } : {}) });
  };
  if (now) run();
  else timer = setTimeout(run, DEBOUNCE_MS);
}

function requestPatients(): void {
  patientsRequest = nextId++;
  vscode.postMessage({ type: 'patients', id: patientsRequest });
}

query.addEventListener('input', () => {
  state.query = query.value;
  save();
  search();
});
query.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') search(true);
});
mode.addEventListener('change', () => {
  const v = MODES.find((m) => m.value === mode.value)?.value;
  if (!v || v === state.mode) return;
  state.mode = v;
  save();
  search(true);
});
patient.addEventListener('change', () => {
  if (patient.value === state.patientId) return;
  state.patientId = patient.value;
  save();
  search(true);
});

window.addEventListener('message', (ev: MessageEvent<SearchPanelToWebview>) => {
  const m = ev.data;
  switch (m.type) {
    case 'config':
      if (!restored) {
        state.mode = m.mode;
        mode.value = m.mode;
        save();
      }
      showMessage(m.ready ? '' : (m.message ?? ''));
      if (m.ready) requestPatients();
      if (state.result) showResult();
      return;
    case 'indexChanged':
      if (m.ready) {
        requestPatients();
        if (!state.result) showMessage('');
      } else {
        showMessage(m.message ?? '');
      }
      return;
    case 'searchReply':
      if (m.id !== latest) return; // a newer search replaced this one
      results.removeAttribute('aria-busy');
      if (m.ok) {
        state.result = m.result;
        save();
        showResult();
      } else if (m.error !== 'cancelled') {
        showMessage(m.error);
      }
      return;
    case 'patientsReply': {
      if (m.id !== patientsRequest || !m.ok) return;
      const selected = state.patientId;
      const ids = m.patients.map((p) => p.patientId);
      if (selected && !ids.includes(selected)) ids.unshift(selected);
      patient.replaceChildren(
        option('', 'All patients', selected === ''),
        ...ids.map((id) => {
          const n = m.patients.find((p) => p.patientId === id)?.notes;
          return option(id, n === undefined ? id : `${id} (${n})`, id === selected);
        }),
      );
      return;
    }
  }
});

if (state.result) showResult();
vscode.postMessage({ type: 'ready' });
