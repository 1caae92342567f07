/**
 * Renders an evaluation report (src/shared/webview-eval.ts EvalReport) as plain DOM: header, one table per
 * setting (rows: overall, query types, match types; columns: metric per ranker), and per setting an SVG bar
 * chart of one metric per match type, ranker against ranker. Every string goes in with textContent, never HTML.
 */
import type { EvalReport, MultiScores, RankerResult, ScoreRow, SingleScores } from '../../src/shared/webview-eval';

export type Setting = 'single' | 'multi';
export interface MetricDef {
  key: string;
  label: string;
}
export const METRICS: Record<Setting, MetricDef[]> = {
  single: [
    { key: 'mrr', label: 'MRR' },
    { key: 'ndcg', label: 'nDCG' },
    { key: 'map', label: 'MAP' },
  ],
  multi: [
    { key: 'mrr', label: 'MRR' },
    { key: 'ndcg10EvalPy', label: 'nDCG@10 (eval.py)' },
    { key: 'ndcg10', label: 'nDCG@10' },
    { key: 'recall100', label: 'R@100' },
  ],
};
const TITLES: Record<Setting, string> = {
  single: 'Single-patient retrieval (per (query, note) pair)',
  multi: 'Multi-patient retrieval (per query)',
};
const QUERY_KEYS = new Set(['disease', 'procedure', 'drug']);
const MATCH_KEYS = ['string', 'synonym', 'abbreviation', 'hyponym', 'implication'];
const SVG = 'http://www.w3.org/2000/svg';

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

export function rankerLabel(r: RankerResult): string {
  return r.ranker === 'bm25' || !r.modelId ? r.ranker : `${r.ranker} (${r.modelId})`;
}

function rowsOf(r: RankerResult, setting: Setting): ScoreRow<SingleScores | MultiScores>[] {
  return setting === 'single' ? r.single : r.multi;
}

function value(row: ScoreRow<SingleScores | MultiScores> | undefined, key: string): number | undefined {
  if (!row || row.scores.n === 0) return undefined;
  const v = (row.scores as unknown as Record<string, number>)[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function fmt(v: number | undefined): string {
  return v === undefined ? 'n/a' : (v * 100).toFixed(2);
}

/** The table of one setting; the best value of each metric in a row is bold. */
export function renderTable(report: EvalReport, setting: Setting): HTMLTableElement {
  const results = report.results;
  const metrics = METRICS[setting];
  const table = el('table');
  table.dataset.setting = setting;
  const head = el('tr');
  head.append(el('th', ''), el('th', setting === 'single' ? 'pairs' : 'queries'));
  for (const r of results) for (const m of metrics) head.append(el('th', results.length > 1 ? `${r.ranker} ${m.label}` : m.label));
  table.append(head);
  const keys: string[] = [];
  for (const r of results) for (const row of rowsOf(r, setting)) if (!keys.includes(row.key)) keys.push(row.key);
  let prevGroup = 'overall';
  for (const key of keys) {
    const group = key === 'overall' ? 'overall' : QUERY_KEYS.has(key) ? 'query' : 'match';
    const tr = el('tr', undefined, group !== prevGroup ? 'group' : undefined);
    prevGroup = group;
    tr.dataset.key = key;
    const rows = results.map((r) => rowsOf(r, setting).find((x) => x.key === key));
    tr.append(el('td', key), el('td', String(Math.max(0, ...rows.map((x) => x?.scores.n ?? 0)))));
    const cells: HTMLTableCellElement[][] = metrics.map(() => []);
    rows.forEach((row) => {
      metrics.forEach((m, mi) => {
        const v = value(row, m.key);
        const td = el('td', fmt(v), v === undefined ? 'na' : undefined);
        if (v !== undefined) td.dataset.value = String(v);
        cells[mi].push(td);
      });
    });
    metrics.forEach((_, mi) => {
      const vals = cells[mi].map((c) => (c.dataset.value ? Number(c.dataset.value) : -1));
      const best = Math.max(...vals);
      if (results.length > 1 && best >= 0) cells[mi].forEach((c, i) => vals[i] === best && c.classList.add('best'));
    });
    for (let ri = 0; ri < results.length; ri++) for (let mi = 0; mi < metrics.length; mi++) tr.append(cells[mi][ri]);
    table.append(tr);
  }
  return table;
}

/** Grouped bars: one group per match type (and overall), one bar per ranker, heights = the metric. */
export function renderChart(report: EvalReport, setting: Setting, metricKey: string): SVGSVGElement {
  const results = report.results;
  const groups = ['overall', ...MATCH_KEYS].filter((k) => results.some((r) => rowsOf(r, setting).some((x) => x.key === k && x.scores.n > 0)));
  const W = 720;
  const H = 240;
  const left = 40;
  const bottom = 40;
  const top = 10;
  const plotH = H - top - bottom;
  const groupW = (W - left - 10) / Math.max(1, groups.length);
  const barW = Math.max(4, (groupW * 0.8) / Math.max(1, results.length));
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img' });
  root.dataset.setting = setting;
  root.dataset.metric = metricKey;
  root.append(svg('title', {}, `${TITLES[setting]}: ${METRICS[setting].find((m) => m.key === metricKey)?.label ?? metricKey} per match type`));
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    const y = top + plotH * (1 - t);
    root.append(svg('line', { x1: left, x2: W - 10, y1: y, y2: y }), svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, String(Math.round(t * 100))));
  }
  groups.forEach((g, gi) => {
    const gx = left + gi * groupW + groupW * 0.1;
    results.forEach((r, ri) => {
      const v = value(rowsOf(r, setting).find((x) => x.key === g), metricKey);
      const h = v === undefined ? 0 : plotH * Math.max(0, Math.min(1, v));
      const rect = svg('rect', { x: gx + ri * barW, y: top + plotH - h, width: barW - 2, height: h, class: `bar r${ri % 4}` });
      rect.dataset.group = g;
      rect.dataset.ranker = r.ranker;
      rect.append(svg('title', {}, `${rankerLabel(r)} · ${g}: ${fmt(v)}`));
      root.append(rect);
    });
    root.append(svg('text', { x: gx + (barW * results.length) / 2, y: H - bottom + 16, 'text-anchor': 'middle' }, g));
  });
  return root;
}

export function renderLegend(report: EvalReport): HTMLElement {
  const div = el('div', undefined, 'legend');
  report.results.forEach((r, i) => div.append(el('span', rankerLabel(r), `r${i % 4}`)));
  return div;
}

export function renderIssues(report: EvalReport): HTMLElement {
  const box = el('div');
  const counts = Object.entries(report.issues.counts).filter(([, n]) => (n ?? 0) > 0);
  if (!counts.length) {
    box.append(el('p', 'No problems in the benchmark files.', 'meta'));
    return box;
  }
  box.append(el('p', `Problems in the benchmark files (the rest was evaluated): ${counts.map(([k, n]) => `${k} ${n}`).join(', ')}`));
  const ul = el('ul', undefined, 'issues');
  for (const i of report.issues.examples) ul.append(el('li', `${i.where}: ${i.message}`));
  box.append(ul);
  return box;
}
