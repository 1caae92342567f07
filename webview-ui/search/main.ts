/**
 * The search panel (webview view drehr.search). Talks to the host only through the typed messages of
 * src/shared/webview.ts; keeps its query, mode, view, filters, switched-off expansions, history and last result
 * with setState so the view comes back as it was. Searches as you type (debounced), and ignores replies to
 * searches that a newer one replaced. Keyboard: Down from the query goes to the results; Up/Down move through
 * them, Enter opens, Right/Left expand and collapse a patient, Escape goes back to the query.
 */
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { PatientSearchResult, SearchHit, SearchMode, SearchResult, SpellingSuggestion } from '../../src/shared/protocol';
import { PATIENT_AGGREGATES, type PatientAggregate, type SearchFilters } from '../../src/shared/search';
import type { BundleListing, PanelCommand, PanelReadiness, ResultView, SearchPanelState, SearchPanelToHost, SearchPanelToWebview } from '../../src/shared/webview';
import { chipElements, patientElement, renderHits } from './render';

interface VsCodeApi {
  postMessage(m: SearchPanelToHost): void;
  getState(): unknown;
  setState(s: SearchPanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const DEBOUNCE_MS = 250;
const HISTORY = 15;
const MODES: { value: SearchMode; label: string }[] = [
  { value: 'hybrid', label: 'Hybrid (dense + BM25)' },
  { value: 'dense', label: 'Dense (DR.EHR)' },
  { value: 'bm25', label: 'BM25 (full text)' },
];
const AGGREGATE_LABELS: Record<PatientAggregate, string> = { max: 'Patient score: best passage', topk: 'Patient score: best 3 summed', rrf: 'Patient score: reciprocal rank' };

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
state.view ??= 'passages';
state.aggregate ??= 'max';
state.filters ??= {};
state.disabledExpansions ??= [];
state.history ??= [];
state.expanded ??= [];
// An older panel's single patient becomes the patient list.
if (state.patientId && !state.filters.patientIds?.length) state.filters.patientIds = [state.patientId];
state.patientId = '';

type ValueElement = HTMLElement & { value: string };

function option(value: string, label: string, selected: boolean): HTMLElement {
  const o = document.createElement('vscode-option') as HTMLElement & { value: string; selected: boolean };
  o.value = value;
  o.textContent = label;
  if (selected) o.selected = true;
  return o;
}

function make<K extends keyof HTMLElementTagNameMap>(tag: K, props: { id?: string; cls?: string; text?: string } = {}): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.id) e.id = props.id;
  if (props.cls) e.className = props.cls;
  if (props.text !== undefined) e.textContent = props.text;
  return e;
}

function button(id: string, text: string, title?: string): HTMLButtonElement {
  const b = make('button', { id, text });
  b.type = 'button';
  if (title) b.title = title;
  return b;
}

function textfield(id: string, label: string, placeholder: string, value: string): ValueElement {
  const t = document.createElement('vscode-textfield') as ValueElement;
  t.id = id;
  t.setAttribute('aria-label', label);
  t.setAttribute('placeholder', placeholder);
  t.value = value;
  return t;
}

// ---- layout (built with DOM calls; the HTML shell has an empty body) ----
const form = make('div', { cls: 'bar' });
const query = textfield('query', 'Search query', 'Search notes, e.g. "shortness of breath"', state.query);

const viewRow = make('div', { cls: 'row' });
const viewToggle = make('div', { id: 'view', cls: 'segmented' });
viewToggle.setAttribute('role', 'group');
viewToggle.setAttribute('aria-label', 'Result view');
const viewPassages = button('view-passages', 'Passages', 'Passages ranked best first');
const viewPatients = button('view-patients', 'Patients', 'Patients ranked by their passages, each expandable to its evidence');
viewToggle.append(viewPassages, viewPatients);
const mode = document.createElement('vscode-single-select') as ValueElement;
mode.id = 'mode';
mode.setAttribute('aria-label', 'Ranking');
for (const m of MODES) mode.append(option(m.value, m.label, m.value === state.mode));
const aggregate = document.createElement('vscode-single-select') as ValueElement;
aggregate.id = 'aggregate';
aggregate.setAttribute('aria-label', 'Patient score');
aggregate.title = "How a patient's passages add up to the patient's score (bench/PATIENTS.md)";
for (const a of PATIENT_AGGREGATES) aggregate.append(option(a, AGGREGATE_LABELS[a], a === state.aggregate));
viewRow.append(viewToggle, mode);

const filters = make('details', { id: 'filters' });
const filtersSummary = make('summary', { text: 'Filters' });
const fTypes = textfield('f-types', 'Note types', 'Note types, comma-separated (e.g. discharge summary)', (state.filters.noteTypes ?? []).join(', '));
const dates = make('div', { cls: 'row' });
const fFrom = make('input', { id: 'f-from' });
fFrom.type = 'date';
fFrom.setAttribute('aria-label', 'From date');
fFrom.value = state.filters.dateFrom ?? '';
const fTo = make('input', { id: 'f-to' });
fTo.type = 'date';
fTo.setAttribute('aria-label', 'To date');
fTo.value = state.filters.dateTo ?? '';
dates.append(make('span', { text: 'From' }), fFrom, make('span', { text: 'to' }), fTo);
const fFolders = textfield('f-folders', 'Folders', 'Folders, comma-separated (e.g. notes/icu)', (state.filters.folders ?? []).join(', '));
const fPatients = textfield('f-patients', 'Patients', 'Patient ids, comma-separated (Enter applies)', (state.filters.patientIds ?? []).join(', '));
const patientHint = make('div', { id: 'patient-hint', cls: 'hint' });
const clearFilters = button('f-clear', 'Clear filters');
filters.append(filtersSummary, fTypes, dates, fFolders, fPatients, patientHint, clearFilters);
if (activeFilterCount() > 0) filters.open = true;

const bundles = make('details', { id: 'bundles' });
const bundlesSummary = make('summary', { text: 'Term bundles' });
const bundleMatch = make('div', { cls: 'segmented' });
bundleMatch.setAttribute('role', 'group');
bundleMatch.setAttribute('aria-label', 'A patient is a hit when');
const matchAny = button('bundle-any', 'Any query', 'A patient is a hit when any query of the bundle finds it');
const matchAll = button('bundle-all', 'Every query', 'A patient is a hit only when every query of the bundle finds it');
bundleMatch.append(matchAny, matchAll);
const bundleList = make('ul', { id: 'bundle-list' });
const newBundle = button('bundle-new', 'New bundle from this query', 'Save the query as a bundle in .drehr/bundles/ and open it to add more queries');
bundles.append(bundlesSummary, bundleMatch, bundleList, newBundle);

const chips = make('div', { id: 'chips' });
chips.setAttribute('aria-label', 'Query expansions (click to switch one off)');
const history = make('div', { id: 'history' });
form.append(query, viewRow, filters, bundles, chips, history);

const message = make('div', { id: 'message' });
message.setAttribute('role', 'status');
const suggestion = make('div', { id: 'suggestion' });
suggestion.hidden = true;
const actions = make('div', { id: 'actions' });
const partial = make('div', { id: 'partial', text: 'Indexing is still running: these results cover the notes indexed so far.' });
partial.hidden = true;
const results = make('ul', { id: 'results' });
results.setAttribute('aria-label', 'Results');
const bundleBanner = make('div', { id: 'bundle-banner', cls: 'hint' });
const exportBar = make('div', { id: 'export' });
const exportCsv = button('export-csv', 'Export CSV', 'Save these results as CSV (patient, note, passage range, score, ranker, query)');
const exportJsonl = button('export-jsonl', 'JSONL', 'Save these results as JSON Lines');
const exportList = button('export-patients', 'Patient list', 'Save the patients of these results, one id per line (a cohort list)');
exportBar.append(exportCsv, exportJsonl, exportList);
exportBar.hidden = true;
document.body.append(form, message, suggestion, actions, partial, bundleBanner, results, exportBar);

// ---- behaviour ----
let nextId = 1;
let latest = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let patientsRequest = 0;
let readiness: PanelReadiness = 'ready';
let knownPatients: Set<string> | undefined;

function save(): void {
  vscode.setState(state);
}

function activeFilterCount(): number {
  const f = state.filters ?? {};
  return [f.noteTypes?.length, f.folders?.length, f.patientIds?.length, f.dateFrom || f.dateTo].filter(Boolean).length;
}

function filtersToSend(): SearchFilters | undefined {
  const f = state.filters ?? {};
  const out: SearchFilters = {};
  if (f.noteTypes?.length) out.noteTypes = f.noteTypes;
  if (f.folders?.length) out.folders = f.folders;
  if (f.patientIds?.length) out.patientIds = f.patientIds;
  if (f.dateFrom) out.dateFrom = f.dateFrom;
  if (f.dateTo) out.dateTo = f.dateTo;
  return Object.keys(out).length ? out : undefined;
}

const splitList = (s: string, sep: RegExp): string[] => [...new Set(s.split(sep).map((x) => x.trim()).filter((x) => x !== ''))];

function showMessage(text: string): void {
  message.textContent = text;
  message.hidden = text === '';
}

function showActions(list: Array<{ id: string; label: string; run: () => void }>): void {
  actions.replaceChildren(
    ...list.map((a) => {
      const b = button(a.id, a.label);
      b.addEventListener('click', a.run);
      return b;
    }),
  );
}

function command(c: PanelCommand): void {
  vscode.postMessage({ type: 'command', command: c });
}

function readinessActions(): void {
  if (readiness === 'noIndex') showActions([{ id: 'act-index', label: 'Build the index', run: () => command('index') }]);
  else if (readiness === 'down')
    showActions([
      { id: 'act-restart', label: 'Restart the sidecar', run: () => command('restart') },
      { id: 'act-logs', label: 'Show logs', run: () => command('showLogs') },
    ]);
  else showActions([]);
}

let bundlesRequest = 0;

function requestBundles(): void {
  bundlesRequest = nextId++;
  vscode.postMessage({ type: 'bundles', id: bundlesRequest });
}

function renderBundleMatch(): void {
  matchAny.setAttribute('aria-pressed', String((state.bundleMatch ?? 'any') === 'any'));
  matchAll.setAttribute('aria-pressed', String(state.bundleMatch === 'all'));
}

function runBundle(file: string): void {
  clearTimeout(timer);
  const id = nextId++;
  latest = id;
  results.setAttribute('aria-busy', 'true');
  showMessage('Running the bundle…');
  const f = filtersToSend();
  vscode.postMessage({ type: 'runBundle', id, file, match: state.bundleMatch ?? 'any', mode: state.mode, aggregate: state.aggregate ?? 'max', ...(f ? { filters: f } : {}) });
}

function renderBundles(list: readonly BundleListing[]): void {
  if (list.length === 0) {
    bundleList.replaceChildren(make('li', { cls: 'hint', text: 'No bundles yet: search for something, then save it as a bundle.' }));
    return;
  }
  bundleList.replaceChildren(
    ...list.map((b) => {
      const li = make('li', { cls: 'bundle' });
      li.dataset.file = b.file;
      const label = make('span', { cls: 'bundle-name', text: b.name ?? b.file });
      if (b.queries) label.title = b.queries.join('\n');
      li.append(label);
      if (b.error) li.append(make('div', { cls: 'bundle-error', text: b.error }));
      else {
        li.append(make('span', { cls: 'hint', text: ` ${b.queries?.length ?? 0} quer${b.queries?.length === 1 ? 'y' : 'ies'}` }));
        const run = make('button', { cls: 'bundle-run', text: 'Run' });
        run.type = 'button';
        run.addEventListener('click', () => runBundle(b.file));
        li.append(run);
      }
      const edit = make('button', { cls: 'bundle-edit', text: 'Edit' });
      edit.type = 'button';
      edit.addEventListener('click', () => vscode.postMessage({ type: 'editBundle', file: b.file }));
      li.append(edit);
      return li;
    }),
  );
}

bundles.addEventListener('toggle', () => {
  if (bundles.open) requestBundles();
});
for (const [b, v] of [
  [matchAny, 'any'],
  [matchAll, 'all'],
] as const)
  b.addEventListener('click', () => {
    state.bundleMatch = v;
    save();
    renderBundleMatch();
  });
newBundle.addEventListener('click', () => {
  vscode.postMessage({ type: 'newBundle', query: state.query });
});

function renderView(): void {
  viewPassages.setAttribute('aria-pressed', String(state.view === 'passages'));
  viewPatients.setAttribute('aria-pressed', String(state.view === 'patients'));
  if (state.view === 'patients') {
    if (!aggregate.isConnected) viewRow.append(aggregate);
  } else aggregate.remove();
  filtersSummary.textContent = activeFilterCount() ? `Filters (${activeFilterCount()})` : 'Filters';
}

function renderHistory(): void {
  const h = state.history ?? [];
  if (state.query.trim() !== '' || h.length === 0) {
    history.replaceChildren();
    return;
  }
  history.replaceChildren(
    make('span', { cls: 'hint', text: 'Recent:' }),
    ...h.map((q) => {
      const b = make('button', { cls: 'recent', text: q });
      b.type = 'button';
      b.addEventListener('click', () => {
        setQuery(q);
        search(true);
      });
      return b;
    }),
  );
}

function renderChips(expansions: readonly string[]): void {
  const off = new Set(state.disabledExpansions ?? []);
  if (expansions.length === 0) {
    chips.replaceChildren();
    return;
  }
  chips.replaceChildren(make('span', { cls: 'hint', text: 'Also searching:' }), ...chipElements(document, expansions, off, toggleChip));
}

function toggleChip(form: string): void {
  const off = new Set(state.disabledExpansions ?? []);
  if (off.has(form)) off.delete(form);
  else off.add(form);
  state.disabledExpansions = [...off];
  save();
  search(true);
}

function openHit(hit: SearchHit): void {
  vscode.postMessage({ type: 'open', hit });
}

function findSimilar(hit: SearchHit): void {
  clearTimeout(timer);
  const id = nextId++;
  latest = id;
  results.setAttribute('aria-busy', 'true');
  const f = filtersToSend();
  vscode.postMessage({ type: 'similar', id, hit, ...(f ? { filters: f } : {}) });
}

function noResultsHelp(): void {
  const list: Array<{ id: string; label: string; run: () => void }> = [];
  if (state.mode !== 'hybrid')
    list.push({
      id: 'act-hybrid',
      label: 'Try hybrid',
      run: () => {
        state.mode = 'hybrid';
        mode.value = 'hybrid';
        save();
        search(true);
      },
    });
  if (state.disabledExpansions?.length)
    list.push({
      id: 'act-expansions',
      label: 'Search the expansions again',
      run: () => {
        state.disabledExpansions = [];
        save();
        search(true);
      },
    });
  if (activeFilterCount())
    list.push({
      id: 'act-clear',
      label: 'Clear filters',
      run: () => clearAllFilters(),
    });
  showActions(list);
}

/** "Did you mean …?" with the corrected query as a button that runs it (the words as text, never HTML). */
function renderSuggestion(s: SpellingSuggestion | undefined): void {
  suggestion.hidden = !s;
  if (!s) {
    suggestion.replaceChildren();
    return;
  }
  const b = make('button', { id: 'suggestion-run', cls: 'link', text: s.query });
  b.type = 'button';
  b.title = s.corrections.map((c) => `${c.from} → ${c.to}`).join(', ');
  b.addEventListener('click', () => {
    setQuery(s.query);
    renderHistory();
    search(true);
    query.focus();
  });
  suggestion.replaceChildren(make('span', { text: 'Did you mean ' }), b, make('span', { text: '?' }));
}

function showResult(): void {
  renderView();
  const r: SearchResult | undefined = state.view === 'passages' ? state.result : undefined;
  const p: PatientSearchResult | undefined = state.view === 'patients' ? state.patients : undefined;
  renderSuggestion(state.bundle && p ? undefined : (r ?? p)?.suggestion);
  if (!r && !p) {
    results.replaceChildren();
    renderChips([]);
    exportBar.hidden = true;
    renderHistory();
    return;
  }
  renderHistory();
  const expansions = (r ?? p)!.expansions;
  // A bundle's queries are each expanded: its expansions are counted in the banner, not offered as chips (a chip
  // switches off a form of one query).
  const bundleRun = Boolean(p && state.bundle);
  bundleBanner.textContent = bundleRun
    ? `Bundle "${state.bundle}": patients found by ${state.bundleMatch === 'all' ? 'every' : 'any'} query of it${expansions.length ? ` (also searched ${expansions.length} expansion${expansions.length === 1 ? '' : 's'} of its queries)` : ''}`
    : '';
  renderChips(bundleRun ? [] : expansions);
  const took = `${Math.round((r ?? p)!.tookMs)} ms`;
  if (r) {
    renderHits(results, r.hits, state.mode, openHit, findSimilar);
    showMessage(r.hits.length === 0 ? 'No passages found.' : `${r.hits.length} passage${r.hits.length === 1 ? '' : 's'} · ${took}`);
    exportBar.hidden = r.hits.length === 0;
    if (r.hits.length === 0) noResultsHelp();
    else showActions([]);
  } else if (p) {
    const top = p.patients[0]?.score ?? 0;
    const open = new Set(state.expanded ?? []);
    results.replaceChildren(
      ...p.patients.map((ph) =>
        patientElement(document, ph, {
          mode: state.mode,
          aggregate: p.aggregate,
          of: p.patients.length,
          top,
          expanded: open.has(ph.patientId),
          onToggle: togglePatient,
          onOpen: openHit,
          onSimilar: findSimilar,
        }),
      ),
    );
    const more = p.depthReached ? ` (from the top ${p.passagesRanked} passages)` : '';
    showMessage(p.patients.length === 0 ? 'No patients found.' : `${p.patients.length} patient${p.patients.length === 1 ? '' : 's'}${more} · ${took}`);
    exportBar.hidden = p.patients.length === 0;
    if (p.patients.length === 0) noResultsHelp();
    else showActions([]);
  }
}

function togglePatient(patientId: string, open: boolean): void {
  const set = new Set(state.expanded ?? []);
  if (open) set.add(patientId);
  else set.delete(patientId);
  state.expanded = [...set];
  save();
  showResult();
  (results.querySelector(`li.patient[data-patient="${CSS.escape(patientId)}"] .patient-head`) as HTMLElement | null)?.focus();
}

function setQuery(q: string): void {
  if (q !== state.query) {
    state.disabledExpansions = [];
    state.expanded = [];
  }
  state.query = q;
  query.value = q;
  save();
}

function remember(q: string): void {
  state.history = [q, ...(state.history ?? []).filter((x) => x !== q)].slice(0, HISTORY);
}

function search(now = false): void {
  clearTimeout(timer);
  const run = (): void => {
    const q = state.query.trim();
    if (q === '') {
      latest = 0;
      delete state.result;
      delete state.patients;
      save();
      showResult();
      showMessage('');
      return;
    }
    const id = nextId++;
    latest = id;
    results.setAttribute('aria-busy', 'true');
    const f = filtersToSend();
    vscode.postMessage({
      type: 'search',
      id,
      query: q,
      mode: state.mode,
      view: state.view ?? 'passages',
      ...(state.view === 'patients' ? { aggregate: state.aggregate ?? 'max' } : {}),
      ...(f ? { filters: f } : {}),
      ...(state.disabledExpansions?.length ? { disabledExpansions: state.disabledExpansions } : {}),
    });
  };
  if (now) run();
  else timer = setTimeout(run, DEBOUNCE_MS);
}

function requestPatients(): void {
  patientsRequest = nextId++;
  vscode.postMessage({ type: 'patients', id: patientsRequest });
}

function updatePatientHint(): void {
  const ids = state.filters?.patientIds ?? [];
  if (!knownPatients) {
    patientHint.textContent = '';
    return;
  }
  const unknown = ids.filter((id) => !knownPatients!.has(id));
  patientHint.textContent = unknown.length
    ? `Not in the index: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}`
    : `${knownPatients.size} patient${knownPatients.size === 1 ? '' : 's'} in the index${ids.length ? `; searching ${ids.length}` : ''}.`;
}

function applyFilters(): void {
  const f: SearchFilters = {};
  const types = splitList(fTypes.value, /,/);
  if (types.length) f.noteTypes = types;
  const folders = splitList(fFolders.value, /,/);
  if (folders.length) f.folders = folders;
  const patients = splitList(fPatients.value, /[,\s]+/);
  if (patients.length) f.patientIds = patients;
  if (fFrom.value) f.dateFrom = fFrom.value;
  if (fTo.value) f.dateTo = fTo.value;
  if (JSON.stringify(f) === JSON.stringify(state.filters ?? {})) return;
  state.filters = f;
  save();
  renderView();
  updatePatientHint();
  search(true);
}

function clearAllFilters(): void {
  fTypes.value = '';
  fFolders.value = '';
  fPatients.value = '';
  fFrom.value = '';
  fTo.value = '';
  applyFilters();
}

// Text filters apply on Enter and when the field loses focus; the field keeps what was typed.
for (const t of [fTypes, fFolders, fPatients]) {
  t.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter') {
      e.preventDefault();
      applyFilters();
    }
  });
  t.addEventListener('change', applyFilters);
}
for (const d of [fFrom, fTo]) d.addEventListener('change', applyFilters);
clearFilters.addEventListener('click', clearAllFilters);

query.addEventListener('input', () => {
  setQuery(query.value);
  renderHistory();
  search();
});
query.addEventListener('keydown', (e) => {
  const k = (e as KeyboardEvent).key;
  if (k === 'Enter') search(true);
  else if (k === 'ArrowDown') {
    const first = navItems()[0];
    if (first) {
      e.preventDefault();
      first.focus();
    }
  }
});
mode.addEventListener('change', () => {
  const v = MODES.find((m) => m.value === mode.value)?.value;
  if (!v || v === state.mode) return;
  state.mode = v;
  save();
  search(true);
});
aggregate.addEventListener('change', () => {
  const v = PATIENT_AGGREGATES.find((a) => a === aggregate.value);
  if (!v || v === state.aggregate) return;
  state.aggregate = v;
  save();
  if (state.view === 'patients') search(true);
});
function setView(v: ResultView): void {
  if (v === state.view) return;
  state.view = v;
  save();
  showResult();
  search(true);
}
viewPassages.addEventListener('click', () => setView('passages'));
viewPatients.addEventListener('click', () => setView('patients'));
for (const [b, f] of [
  [exportCsv, 'csv'],
  [exportJsonl, 'jsonl'],
  [exportList, 'patientList'],
] as const)
  b.addEventListener('click', () => vscode.postMessage({ type: 'export', format: f }));

function navItems(): HTMLElement[] {
  return [...results.querySelectorAll<HTMLElement>('.nav')];
}

results.addEventListener('keydown', (e) => {
  const items = navItems();
  const at = items.indexOf(document.activeElement as HTMLElement);
  if (at < 0) return;
  const move = (to: number): void => {
    e.preventDefault();
    items[Math.max(0, Math.min(items.length - 1, to))]?.focus();
  };
  const current = items[at];
  switch (e.key) {
    case 'ArrowDown':
      return move(at + 1);
    case 'ArrowUp':
      if (at === 0) {
        e.preventDefault();
        query.focus();
        return;
      }
      return move(at - 1);
    case 'Home':
      return move(0);
    case 'End':
      return move(items.length - 1);
    case 'Escape':
      e.preventDefault();
      query.focus();
      return;
    case 'ArrowRight':
    case 'ArrowLeft': {
      const li = current.closest('li.patient') as HTMLElement | null;
      if (!li || !current.classList.contains('patient-head')) return;
      e.preventDefault();
      togglePatient(li.dataset.patient ?? '', e.key === 'ArrowRight');
      return;
    }
  }
});

window.addEventListener('message', (ev: MessageEvent<SearchPanelToWebview>) => {
  const m = ev.data;
  switch (m.type) {
    case 'config':
      if (!restored) {
        state.mode = m.mode;
        mode.value = m.mode;
        state.aggregate = m.aggregate;
        aggregate.value = m.aggregate;
        save();
      }
      readiness = m.readiness;
      showMessage(m.ready && m.readiness === 'ready' ? '' : (m.message ?? ''));
      readinessActions();
      if (m.ready) requestPatients();
      if (state.result || state.patients) showResult();
      else renderHistory();
      return;
    case 'indexChanged':
      readiness = m.readiness;
      if (m.ready) {
        requestPatients();
        if (!state.result && !state.patients) showMessage(m.readiness === 'indexing' ? (m.message ?? '') : '');
        if (m.readiness === 'ready') partial.hidden = true;
      } else {
        showMessage(m.message ?? '');
      }
      readinessActions();
      return;
    case 'runQuery':
      setQuery(m.query);
      renderHistory();
      search(true);
      query.focus();
      return;
    case 'searchReply':
      if (m.id !== latest) return; // a newer search replaced this one
      results.removeAttribute('aria-busy');
      if (!m.ok) {
        if (m.error !== 'cancelled') showMessage(m.error);
        return;
      }
      partial.hidden = !m.partial;
      if ('patients' in m) {
        state.patients = m.patients;
        state.view = 'patients';
        if (m.bundle) state.bundle = m.bundle;
        else delete state.bundle;
      } else {
        state.result = m.result;
        state.view = 'passages';
      }
      if (!('similarTo' in m && m.similarTo) && !('bundle' in m && m.bundle)) remember(state.query.trim());
      save();
      showResult();
      if ('similarTo' in m && m.similarTo) showMessage(`${m.result.hits.length} passages like the one in ${m.similarTo}`);
      return;
    case 'patientsReply': {
      if (m.id !== patientsRequest || !m.ok) return;
      knownPatients = new Set(m.patients.map((p) => p.patientId));
      updatePatientHint();
      return;
    }
    case 'exported':
      showMessage(m.message);
      return;
    case 'bundlesReply':
      if (m.id === bundlesRequest) renderBundles(m.bundles);
      return;
  }
});

renderView();
renderBundleMatch();
if (state.result || state.patients) showResult();
else renderHistory();
vscode.postMessage({ type: 'ready' });
