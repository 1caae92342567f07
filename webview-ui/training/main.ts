/**
 * The training run panel: status, live loss curve (SVG), evaluation results and "Use This Model". Everything is
 * built with DOM calls and textContent: no HTML strings, so a run id or an error message can never become markup.
 * State (the last snapshot) is kept with setState so a panel shown again draws before the host answers.
 */
import type { TrainingPanelState, TrainingPanelToHost, TrainingPanelToWebview, TrainingRunView } from '../../src/shared/webview-training';
import { formatDuration, formatNumber, lossChart, type ChartBox } from './chart';
import { css } from './style';

interface VsCodeApi {
  postMessage(msg: TrainingPanelToHost): void;
  getState(): TrainingPanelState | undefined;
  setState(s: TrainingPanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const SVG = 'http://www.w3.org/2000/svg';
const BOX: ChartBox = { width: 760, height: 300, left: 56, right: 16, top: 12, bottom: 32 };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function svg(tag: string, attrs: Record<string, string | number> = {}, ...children: Node[]): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children) e.append(c);
  return e;
}

function svgText(x: number, y: number, text: string, anchor: 'start' | 'middle' | 'end'): SVGElement {
  const t = svg('text', { x, y, 'text-anchor': anchor });
  t.textContent = text;
  return t;
}

function lossSvg(run: TrainingRunView): Element {
  if (!run.losses.length) return el('p', { class: 'empty', id: 'no-loss' }, run.status === 'running' ? 'Waiting for the first step…' : 'No loss was recorded.');
  const c = lossChart(run.losses, BOX);
  const root = svg('svg', { class: 'chart', id: 'loss-chart', viewBox: `0 0 ${BOX.width} ${BOX.height}`, role: 'img', 'aria-label': `Training loss over ${c.points} steps` });
  const grid = svg('g', { class: 'grid' });
  const labels = svg('g', { class: 'labels' });
  for (const t of c.y.ticks) {
    const y = c.y.at(t);
    grid.append(svg('line', { x1: BOX.left, x2: BOX.width - BOX.right, y1: y, y2: y }));
    labels.append(svgText(BOX.left - 6, y + 4, formatNumber(t), 'end'));
  }
  for (const t of c.x.ticks) {
    const x = c.x.at(t);
    grid.append(svg('line', { x1: x, x2: x, y1: BOX.top, y2: BOX.height - BOX.bottom }));
    labels.append(svgText(x, BOX.height - BOX.bottom + 16, formatNumber(t), 'middle'));
  }
  const axis = svg(
    'g',
    { class: 'axis' },
    svg('line', { x1: BOX.left, x2: BOX.left, y1: BOX.top, y2: BOX.height - BOX.bottom }),
    svg('line', { x1: BOX.left, x2: BOX.width - BOX.right, y1: BOX.height - BOX.bottom, y2: BOX.height - BOX.bottom }),
  );
  labels.append(svgText((BOX.left + BOX.width - BOX.right) / 2, BOX.height - 2, 'step', 'middle'));
  const evals = svg('g', { class: 'eval' });
  for (const e of run.evals) {
    if (e.step < c.x.min || e.step > c.x.max) continue;
    const x = c.x.at(e.step);
    evals.append(svg('line', { x1: x, x2: x, y1: BOX.top, y2: BOX.height - BOX.bottom }));
  }
  root.append(grid, axis, labels, evals, svg('path', { class: 'raw', d: c.raw }));
  if (c.smooth) root.append(svg('path', { class: 'smooth', d: c.smooth }));
  for (const s of c.nanSteps) root.append(svg('circle', { class: 'nan', cx: c.x.at(s), cy: BOX.top + 4, r: 3 }));
  return root;
}

function metricsTable(run: TrainingRunView): Element {
  const rows: Array<{ label: string; metrics: Record<string, number> }> = run.evals.map((e) => ({ label: `step ${e.step}`, metrics: e.metrics }));
  if (run.finalMetrics && Object.keys(run.finalMetrics).length) rows.push({ label: 'final', metrics: run.finalMetrics });
  if (!rows.length) return el('p', { class: 'empty' }, 'No evaluation yet.');
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
  const head = el('tr', {}, el('th', {}, ''), ...names.map((n) => el('th', {}, n)));
  const body = rows.map((r) => el('tr', {}, el('td', {}, r.label), ...names.map((n) => el('td', { class: 'num' }, r.metrics[n] === undefined ? '' : formatNumber(r.metrics[n]!)))));
  return el('table', { id: 'metrics' }, el('thead', {}, head), el('tbody', {}, ...body));
}

function stat(label: string, value: string): Element {
  return el('span', {}, `${label} `, el('b', {}, value));
}

function render(run: TrainingRunView): void {
  const root = document.getElementById('root')!;
  const stats = el('div', { class: 'stats', id: 'stats' });
  // The stage once: the settings table names it when run.json was read, else the stats line does.
  if (run.stage && !run.settings.some(([k]) => k === 'stage')) stats.append(stat('stage', run.stage));
  stats.append(stat('step', run.totalSteps !== undefined ? `${run.step} / ${run.totalSteps}` : String(run.step)));
  if (run.lastLoss !== undefined) stats.append(stat('loss', run.lastLoss === null ? 'NaN' : formatNumber(run.lastLoss)));
  if (run.lastLr !== undefined) stats.append(stat('lr', formatNumber(run.lastLr)));
  if (run.samplesPerS !== undefined) stats.append(stat('samples/s', formatNumber(run.samplesPerS)));
  if (run.status === 'running' && run.etaS !== undefined) stats.append(stat('ETA', formatDuration(run.etaS)));
  if (run.device) stats.append(stat('device', run.device));
  if (run.parityMaxAbsDiff !== undefined) stats.append(stat('ONNX parity', formatNumber(run.parityMaxAbsDiff)));

  // A failed or interrupted run has no model to use: no button at all (a disabled one read as enabled).
  const offerModel = run.canUseModel || run.status === 'running';
  const use = el('button', { id: 'use-model', title: run.canUseModel ? run.modelDir : 'Available when the run has finished and exported its model' }, 'Use This Model');
  if (!run.canUseModel) use.setAttribute('disabled', '');
  use.addEventListener('click', () => vscode.postMessage({ type: 'useModel', id: run.id }));
  const openEvents = el('button', { class: 'secondary', id: 'open-events' }, 'Open events.jsonl');
  openEvents.addEventListener('click', () => vscode.postMessage({ type: 'openFile', id: run.id, file: 'events' }));
  const openConfig = el('button', { class: 'secondary', id: 'open-config' }, 'Open run.json');
  openConfig.addEventListener('click', () => vscode.postMessage({ type: 'openFile', id: run.id, file: 'config' }));

  const parts: Node[] = [
    el('h1', {}, el('span', { id: 'run-id' }, run.id), el('span', { class: `badge ${run.status}`, id: 'status' }, run.status)),
    el('p', { class: 'detail', id: 'detail' }, run.detail),
    stats,
  ];
  if (run.error) {
    const box = el('div', { class: 'error', id: 'error' }, run.error.message);
    if (run.error.hint) box.append(el('div', { class: 'hint' }, run.error.hint));
    parts.push(box);
  }
  if (run.configErrors.length) parts.push(el('div', { class: 'error', id: 'config-errors' }, `run.json: ${run.configErrors.join('; ')}`));
  parts.push(el('div', { class: 'actions' }, ...(offerModel ? [use] : []), openEvents, openConfig));
  parts.push(el('h2', {}, 'Loss'), lossSvg(run));
  if (run.losses.length) {
    parts.push(el('div', { class: 'legend' }, el('span', { class: 'raw' }, run.lossesThinned ? 'loss (thinned)' : 'loss'), el('span', { class: 'smooth' }, 'smoothed')));
  }
  parts.push(el('h2', {}, 'Evaluation'), metricsTable(run));
  if (run.settings.length) {
    parts.push(el('h2', {}, 'Run settings'), el('table', { id: 'settings' }, el('tbody', {}, ...run.settings.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', { class: 'path' }, v))))));
  }
  root.replaceChildren(...parts);
  document.body.dataset.status = run.status;
  document.body.dataset.step = String(run.step);
}

function applyStyles(): void {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

applyStyles();
const root = el('main', { id: 'root' });
document.body.append(root);
const saved = vscode.getState();
if (saved?.run) render(saved.run);
else root.append(el('p', { class: 'empty' }, 'Loading the run…'));

window.addEventListener('message', (e: MessageEvent<TrainingPanelToWebview>) => {
  const msg = e.data;
  if (typeof msg !== 'object' || msg === null) return;
  if (msg.type === 'snapshot') {
    render(msg.run);
    vscode.setState({ run: msg.run });
  } else if (msg.type === 'gone') {
    root.replaceChildren(el('p', { class: 'empty', id: 'gone' }, `The run folder ${msg.id} no longer exists.`));
    vscode.setState({});
  }
});
vscode.postMessage({ type: 'ready' });
