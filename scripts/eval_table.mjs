#!/usr/bin/env node
// Prints the README's results table from a `drehr eval` report.json: MRR ×100 per match type, BM25 against the
// dense model and hybrid, single-patient and multi-patient, plus multi-patient Recall@100.
//   node scripts/eval_table.mjs bench/work/eval-mtsamples-dev/report.json
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const keys = ['overall', 'string', 'synonym', 'abbreviation', 'hyponym'];
const rankers = report.results.map((r) => r.ranker);
const cell = (rows, key, metric) => {
  const row = rows.find((x) => x.key === key);
  return row ? (row.scores[metric] * 100).toFixed(1) : '–';
};
const head = (label) => `| match type | ${label} n | ${rankers.map((r) => `${r}`).join(' | ')} |\n|---|---:|${rankers.map(() => '---:').join('|')}|`;
const table = (setting, metric, title, nLabel) => {
  const lines = [`**${title}**`, '', head(nLabel)];
  for (const k of keys) {
    const n = report.results[0][setting].find((x) => x.key === k)?.scores.n ?? 0;
    if (!n) continue;
    lines.push(`| ${k} | ${n} | ${report.results.map((r) => cell(r[setting], k, metric)).join(' | ')} |`);
  }
  return lines.join('\n');
};
console.log(`Benchmark \`${report.benchmark.name}\` (${report.counts.notes} notes, ${report.counts.chunks} chunks, ${report.counts.queriesEvaluated} queries), model \`${report.model?.id ?? '?'}\`, ${report.machine}, ${report.created.slice(0, 10)}.\n`);
console.log(table('single', 'mrr', 'Single-patient MRR ×100 (per (query, note) pair)', 'pairs'));
console.log();
console.log(table('multi', 'mrr', 'Multi-patient MRR ×100 (per query)', 'queries'));
console.log();
console.log(table('multi', 'recall100', 'Multi-patient Recall@100 ×100', 'queries'));
