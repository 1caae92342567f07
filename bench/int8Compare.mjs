#!/usr/bin/env node
// fp32 against int8 retrieval from two `drehr eval` report.json files of the same benchmark and model folder
// (`drehr eval ... --precision fp32` and `--precision int8`): every CliniQ metric (single-patient MRR, nDCG, MAP;
// multi-patient MRR, nDCG@10 (both), Recall@100) for every row (overall, query types, match types) of every ranker
// in both reports, as fp32 / int8 / difference ×100, then the largest drop.
//   node bench/int8Compare.mjs FP32/report.json INT8/report.json
import { readFileSync } from 'node:fs';

const [fp32, int8] = process.argv.slice(2, 4).map((f) => JSON.parse(readFileSync(f, 'utf8')));
if (!fp32 || !int8) {
  console.error('usage: node bench/int8Compare.mjs FP32/report.json INT8/report.json');
  process.exit(2);
}
const METRICS = {
  single: [['mrr', 'MRR'], ['ndcg', 'nDCG'], ['map', 'MAP']],
  multi: [['mrr', 'MRR'], ['ndcg10EvalPy', 'nDCG@10 (eval.py)'], ['ndcg10', 'nDCG@10'], ['recall100', 'R@100']],
};
const x100 = (v) => (v * 100).toFixed(1);
let worst = { drop: -Infinity };
const out = [];
out.push(`Benchmark \`${fp32.benchmark.name}\` (${fp32.counts.notes} notes, ${fp32.counts.chunks} chunks, ${fp32.counts.queriesEvaluated} queries), model \`${fp32.model?.id}\`: fp32 report ${fp32.created}, int8 report ${int8.created}.`, '');
for (const r8 of int8.results) {
  const r32 = fp32.results.find((r) => r.ranker === r8.ranker && (r.fusion ?? '') === (r8.fusion ?? ''));
  if (!r32) continue;
  for (const setting of ['single', 'multi']) {
    const ms = METRICS[setting];
    out.push(`**${r8.ranker}, ${setting === 'single' ? 'single-patient' : 'multi-patient'}** (fp32 / int8 / Δ, ×100)`, '');
    out.push(`| row | n | ${ms.map(([, l]) => l).join(' | ')} |`, `|---|---:|${ms.map(() => '---:').join('|')}|`);
    for (const row8 of r8[setting]) {
      const row32 = r32[setting].find((x) => x.key === row8.key);
      if (!row32 || !row8.scores.n) continue;
      const cells = ms.map(([k]) => {
        const d = (row8.scores[k] - row32.scores[k]) * 100;
        if (-d > worst.drop) worst = { drop: -d, where: `${r8.ranker} ${setting} ${row8.key} ${k}` };
        return `${x100(row32.scores[k])} / ${x100(row8.scores[k])} / ${d >= 0 ? '+' : ''}${d.toFixed(1)}`;
      });
      out.push(`| ${row8.key} | ${row8.scores.n} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
}
out.push(`Largest drop from fp32 to int8: **${worst.drop.toFixed(2)} points** (${worst.where}).`);
console.log(out.join('\n'));
