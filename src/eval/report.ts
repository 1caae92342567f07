/**
 * Report output: Markdown (report.md), plain-text tables for the terminal, and saving report.md +
 * report.json side by side (crash-safe writes). Scores are printed ×100 with two decimals, as eval.py does.
 */
import * as path from 'node:path';
import type { EvalReport, MultiScores, RankerResult, ScoreRow, SingleScores } from '../shared/webview-eval';
import { writeFileAtomicSync as writeFileAtomic } from '../shared/atomicWrite';

type Metric<S> = { key: keyof S & string; label: string };
export const SINGLE_METRICS: Metric<SingleScores>[] = [
  { key: 'mrr', label: 'MRR' },
  { key: 'ndcg', label: 'nDCG' },
  { key: 'map', label: 'MAP' },
];
export const MULTI_METRICS: Metric<MultiScores>[] = [
  { key: 'mrr', label: 'MRR' },
  { key: 'ndcg10EvalPy', label: 'nDCG@10 (eval.py)' },
  { key: 'ndcg10', label: 'nDCG@10' },
  { key: 'recall100', label: 'R@100' },
];

export const pct = (x: number): string => (x * 100).toFixed(2);

export function rankerLabel(r: RankerResult): string {
  const name = r.fusion ? `${r.ranker} [${r.fusion}]` : r.ranker;
  return r.modelId && r.ranker !== 'bm25' ? `${name} (${r.modelId})` : name;
}

/** Rows of one setting's table: [row key, n, ...per ranker per metric]. Missing rows read "n/a". */
export function tableRows<S extends { n: number }>(results: RankerResult[], pick: (r: RankerResult) => ScoreRow<S>[], metrics: Metric<S>[]): string[][] {
  const keys: string[] = [];
  for (const r of results) for (const row of pick(r)) if (!keys.includes(row.key)) keys.push(row.key);
  return keys.map((key) => {
    const cells: string[] = [key];
    let n = 0;
    for (const r of results) {
      const row = pick(r).find((x) => x.key === key);
      if (row) n = Math.max(n, row.scores.n);
      for (const m of metrics) cells.push(row && row.scores.n > 0 ? pct(row.scores[m.key] as number) : 'n/a');
    }
    cells.splice(1, 0, String(n));
    return cells;
  });
}

function header<S>(results: RankerResult[], metrics: Metric<S>[], nLabel: string): string[] {
  const h = ['', nLabel];
  for (const r of results) for (const m of metrics) h.push(results.length > 1 ? `${r.ranker} ${m.label}` : m.label);
  return h;
}

function mdTable(head: string[], rows: string[][]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [`| ${head.map(esc).join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.map(esc).join(' | ')} |`);
  return lines.join('\n');
}

function textTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function issueLines(report: EvalReport): string[] {
  const entries = Object.entries(report.issues.counts).filter(([, n]) => (n ?? 0) > 0);
  if (!entries.length) return ['No problems in the benchmark files.'];
  return [
    `Problems in the benchmark files (the rest was evaluated): ${entries.map(([k, n]) => `${k} ${n}`).join(', ')}.`,
    ...report.issues.examples.map((i) => `- ${i.where}: ${i.message}`),
  ];
}

export function toMarkdown(report: EvalReport): string {
  const r = report.results;
  const out: string[] = [];
  out.push(`# Evaluation: ${report.benchmark.name}`, '');
  out.push(`- Benchmark: \`${report.benchmark.dir}\`${report.benchmark.source ? ` (${report.benchmark.source})` : ''}`);
  const c = report.counts;
  out.push(`- Corpus: ${c.notes} notes, ${c.chunks} chunks (words ${report.benchmark.chunking.words}, overlap ${report.benchmark.chunking.overlap}, minWords ${report.benchmark.chunking.minWords})`);
  out.push(`- Queries: ${c.queries} (${c.queriesEvaluated} with a relevant chunk, scored); qrels: ${c.qrels}; (query, note) pairs scored single-patient: ${c.singlePairs}`);
  if (report.model) out.push(`- Model: ${report.model.name} \`${report.model.id}\`${report.model.precision ? ` (${report.model.precision})` : ''}${report.model.trained ? '' : ' (untrained fixture)'}`);
  out.push(`- Rankers: ${r.map(rankerLabel).join(', ')}; corpus ranking depth ${report.depth}`);
  out.push(`- Machine: ${report.machine}; ${report.created}; ${report.tool}`, '');
  out.push('## Single-patient retrieval (per (query, note) pair; ×100)', '');
  out.push(mdTable(header(r, SINGLE_METRICS, 'pairs'), tableRows(r, (x) => x.single, SINGLE_METRICS)), '');
  out.push('## Multi-patient retrieval (per query; ×100)', '');
  out.push(mdTable(header(r, MULTI_METRICS, 'queries'), tableRows(r, (x) => x.multi, MULTI_METRICS)), '');
  out.push('## Timing', '');
  for (const x of r) out.push(`- ${rankerLabel(x)}: ranking ${x.rankSeconds.toFixed(1)} s${x.indexSeconds ? `, index ${x.indexSeconds.toFixed(1)} s` : ''}`);
  out.push('', '## Notes', '', ...issueLines(report), ...report.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

export function toText(report: EvalReport): string {
  const r = report.results;
  const c = report.counts;
  return [
    `${report.benchmark.name}: ${c.notes} notes, ${c.chunks} chunks, ${c.queriesEvaluated}/${c.queries} queries scored, ${c.singlePairs} (query, note) pairs`,
    report.model ? `model ${report.model.id}${report.model.precision ? ` (${report.model.precision})` : ''}${report.model.trained ? '' : ' (untrained fixture)'}` : '',
    '',
    'Single-patient (x100)',
    textTable(header(r, SINGLE_METRICS, 'pairs'), tableRows(r, (x) => x.single, SINGLE_METRICS)),
    '',
    'Multi-patient (x100)',
    textTable(header(r, MULTI_METRICS, 'queries'), tableRows(r, (x) => x.multi, MULTI_METRICS)),
    '',
    ...issueLines(report),
    '',
  ].join('\n');
}

/** Writes report.md and report.json into `dir`; returns their paths. */
export function saveReport(dir: string, report: EvalReport): { md: string; json: string } {
  const md = path.join(dir, 'report.md');
  const json = path.join(dir, 'report.json');
  writeFileAtomic(json, JSON.stringify(report, null, 2) + '\n');
  writeFileAtomic(md, toMarkdown(report));
  return { md, json };
}
