#!/usr/bin/env node
// Tables of a `drehr eval --fusion ...` report (report.json): one row per fusion of the hybrid rankers' dense and
// BM25 rankings, CliniQ metrics ×100 per match type, both settings, and the difference to the search's own fusion.
// Usage: node scripts/fusion_table.mjs REPORT.json > tables.md
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const keys = ['overall', 'string', 'synonym', 'abbreviation', 'hyponym'];
const pct = (x) => (x * 100).toFixed(1);
const row = (r, setting, key, metric) => r[setting].find((x) => x.key === key)?.scores[metric];

const out = [];
out.push(`Benchmark \`${report.benchmark.name}\` (${report.counts.notes} notes, ${report.counts.chunks} chunks, ${report.counts.queriesEvaluated} queries), model \`${report.model.id}\`, ${report.machine}, ${report.created.slice(0, 10)}.`, '');
for (const ranker of [...new Set(report.results.map((r) => r.ranker))]) {
  const rs = report.results.filter((r) => r.ranker === ranker);
  const own = rs.find((r) => !r.fusion);
  for (const [title, setting, metric] of [['Single-patient MRR', 'single', 'mrr'], ['Multi-patient MRR', 'multi', 'mrr'], ['Multi-patient Recall@100', 'multi', 'recall100']]) {
    out.push(`**${ranker}: ${title} ×100** (n: ${keys.map((k) => `${k} ${own ? row(own, setting, k, 'n') : '?'}`).join(', ')})`, '');
    out.push(`| fusion | ${keys.join(' | ')} |`, `|---|${keys.map(() => '---:').join('|')}|`);
    for (const r of rs) {
      const cells = keys.map((k) => {
        const v = row(r, setting, k, metric);
        if (v === undefined) return 'n/a';
        const base = own ? row(own, setting, k, metric) : undefined;
        const d = base === undefined || !r.fusion ? '' : ` (${v - base >= 0 ? '+' : ''}${((v - base) * 100).toFixed(1)})`;
        return pct(v) + d;
      });
      out.push(`| ${r.fusion ?? 'search (rrf k=60)'} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
}
process.stdout.write(out.join('\n') + '\n');
