/**
 * The evaluation report webview ("DR.EHR: Evaluate Model"). The host sends `report` (and `progress` while the
 * evaluation runs); the view renders it with render.ts and keeps it with setState, so a hidden and re-shown
 * panel needs nothing from the host. Buttons post `openFile` for the saved report.md / report.json.
 */
import type { EvalReport, EvalViewToHost, HostToEvalView } from '../../src/shared/webview-eval';
import { el, METRICS, renderChart, renderIssues, renderLegend, renderTable, type Setting } from './render';
import { css } from './style';

interface VsCodeApi {
  postMessage(m: EvalViewToHost): void;
  getState(): unknown;
  setState(s: ViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface ViewState {
  report?: EvalReport;
  savedTo?: { md: string; json: string };
  metric: Record<Setting, string>;
}

const vscode = acquireVsCodeApi();
const sheet = new CSSStyleSheet();
sheet.replaceSync(css);
document.adoptedStyleSheets = [sheet];

function isState(x: unknown): x is ViewState {
  return typeof x === 'object' && x !== null && 'metric' in x;
}
const restored = vscode.getState();
let state: ViewState = isState(restored) ? restored : { metric: { single: 'mrr', multi: 'mrr' } };

const root = el('div');
root.id = 'root';
document.body.append(root);

function render(): void {
  root.replaceChildren();
  const r = state.report;
  if (!r) {
    root.append(el('p', 'Waiting for the evaluation…', 'progress'));
    return;
  }
  root.append(el('h1', `Evaluation: ${r.benchmark.name}`));
  const c = r.counts;
  root.append(
    el('p', `${c.notes} notes, ${c.chunks} chunks; ${c.queriesEvaluated} of ${c.queries} queries scored; ${c.singlePairs} (query, note) pairs`, 'meta'),
    el('p', r.model ? `Model: ${r.model.name} (${r.model.id})${r.model.trained ? '' : ', untrained fixture'}` : 'No model', 'meta'),
    el('p', `${r.machine} · ${r.created}`, 'meta'),
  );
  if (state.savedTo) {
    const actions = el('div', undefined, 'actions');
    const md = el('button', 'Open report.md');
    md.id = 'open-md';
    md.addEventListener('click', () => vscode.postMessage({ type: 'openFile', which: 'md' }));
    const json = el('button', 'Open report.json', 'secondary');
    json.id = 'open-json';
    json.addEventListener('click', () => vscode.postMessage({ type: 'openFile', which: 'json' }));
    actions.append(md, json);
    root.append(actions);
  }
  root.append(renderLegend(r));
  for (const setting of ['single', 'multi'] as Setting[]) {
    root.append(el('h2', setting === 'single' ? 'Single-patient retrieval' : 'Multi-patient retrieval'));
    const bar = el('div', undefined, 'actions');
    const select = el('select');
    select.id = `metric-${setting}`;
    for (const m of METRICS[setting]) {
      const o = el('option', m.label);
      o.value = m.key;
      select.append(o);
    }
    select.value = state.metric[setting];
    select.addEventListener('change', () => {
      state = { ...state, metric: { ...state.metric, [setting]: select.value } };
      vscode.setState(state);
      render();
    });
    bar.append(el('span', 'Chart metric:'), select);
    root.append(bar, renderChart(r, setting, state.metric[setting]), renderTable(r, setting));
  }
  root.append(el('h2', 'Notes'), renderIssues(r));
  const ul = el('ul');
  for (const n of r.notes) ul.append(el('li', n));
  root.append(ul);
}

window.addEventListener('message', (e: MessageEvent<HostToEvalView>) => {
  const m = e.data;
  if (m.type === 'report') {
    state = { ...state, report: m.report, savedTo: m.savedTo };
    vscode.setState(state);
    render();
  } else if (m.type === 'progress' && !state.report) {
    root.replaceChildren(el('p', m.message, 'progress'));
  }
});

render();
vscode.postMessage({ type: 'ready' });
