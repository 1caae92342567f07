#!/usr/bin/env bash
# Stage II on raw vs cleaned synthetic pairs (issue 7, "Export and the loop"): two Stage II runs from the same base,
# seed, batch and step count on the same pairs file; the raw run trains on every pair, the cleaned run leaves out
# the pairs whose current label in the review's label log is noise (python/drehr_train/stage2_data.py). Then the
# dense and hybrid rankers of each on mtsamples-dev (held out), CliniQ metrics. Writes bench/pairsReviewAblation.md
# with the number of labels behind the cleaning.
#
#   bash bench/pairsReviewAblation.sh PAIRS.jsonl [LABELS.jsonl] [NOTES_FOLDER]
#     LABELS default: PAIRS.labels.jsonl (the review's log); NOTES default: demo/notes (the chunks the pairs name)
#   STEPS=60 BATCH=16 MINUTES=14 SEED=42 BASE=models/demo SKIP_TRAIN=1 OUT_ROOT=/tmp/pairsreview OUT_MD=bench/pairsReviewAblation.md
#   DREHR_SHARED=<shared>/data: where notes/mtsamples.csv lives (to build benchmarks/mtsamples-dev when missing)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PAIRS="$(realpath "${1:?usage: bash bench/pairsReviewAblation.sh PAIRS.jsonl [LABELS.jsonl] [NOTES]}")"
LABELS="$(realpath "${2:-$PAIRS.labels.jsonl}")"
NOTES="$(realpath "${3:-$ROOT/demo/notes}")"
PY="${PYTHON:-/usr/bin/python3}"
OUT_ROOT="${OUT_ROOT:-/tmp/pairsreview}"
STEPS="${STEPS:-60}"
BATCH="${BATCH:-16}"
MINUTES="${MINUTES:-14}"
BASE="${BASE:-$ROOT/models/demo}"
OUT_MD="${OUT_MD:-$ROOT/bench/pairsReviewAblation.md}"
BENCH="$ROOT/benchmarks/mtsamples-dev"
SHARED="${DREHR_SHARED:-$ROOT/../shared/data}"
[ -f "$LABELS" ] || { echo "no label log at $LABELS: review the pairs first (DR.EHR: Review Synthetic Pairs)" >&2; exit 2; }
[ -f "$BENCH/bench.json" ] || bash "$ROOT/scripts/build_benchmarks.sh" --shared "$(dirname "$SHARED")"
export PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"

t0=$(date +%s)
if [ -z "${SKIP_TRAIN:-}" ]; then
  pids=()
  for arm in raw cleaned; do
    labels=()
    [ $arm = cleaned ] && labels=(--labels "$LABELS")
    rm -rf "$OUT_ROOT-$arm"
    (cd "$ROOT/python" && DREHR_THREADS=1 nice -n 10 "$PY" -m drehr_train stage2 --base "$BASE" --notes "$NOTES" \
      --pairs "$PAIRS" "${labels[@]}" --out "$OUT_ROOT-$arm" --max-steps "$STEPS" --max-minutes "$MINUTES" \
      --batch-size "$BATCH" --num-pos 16 --lr 1e-4 --warmup 0.1 --max-passage 128 --max-query 16 --seed "${SEED:-42}" \
      --checkpoint-every "$STEPS" --threads 1 > "$OUT_ROOT-$arm.log" 2>&1) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
fi
t1=$(date +%s)

cd "$ROOT"
node esbuild.mjs >/dev/null
for arm in raw cleaned; do
  nice -n 10 node dist/cli.js eval --bench "$BENCH" --model "$OUT_ROOT-$arm/model" --ranker dense,hybrid --out "$OUT_ROOT-$arm/eval" >/dev/null
done
node - "$OUT_ROOT" "$STEPS" "$BATCH" "$MINUTES" "$(( (t1 - t0) / 60 ))" "$BASE" "$PAIRS" "$LABELS" "${SEED:-42}" > "$OUT_MD" <<'JS'
const fs = require('fs');
const [root, steps, batch, minutes, wall, base, pairsPath, labelsPath, seed] = process.argv.slice(2);
const rep = (arm) => JSON.parse(fs.readFileSync(`${root}-${arm}/eval/report.json`, 'utf8'));
const stageOf = (arm) => JSON.parse(fs.readFileSync(`${root}-${arm}/model/drehr.json`, 'utf8')).provenance.stages.at(-1);
// The labels behind the cleaning: each pair's current label (last line; unlabel clears), and who gave them.
const current = new Map();
const reviewers = new Set();
let sampled = 0;
for (const line of fs.readFileSync(labelsPath, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  let o;
  try { o = JSON.parse(line); } catch { continue; }
  if (typeof o.pair_id !== 'string') continue;
  if (o.label === 'unlabel') current.delete(o.pair_id);
  else { current.set(o.pair_id, o); reviewers.add(o.reviewer); }
}
const count = (l) => [...current.values()].filter((o) => o.label === l).length;
for (const o of current.values()) if (o.sample) sampled++;
const pairs = fs.readFileSync(pairsPath, 'utf8').split('\n').filter((l) => l.trim()).length;
const r = rep('raw'), c = rep('cleaned');
const sr = stageOf('raw'), sc = stageOf('cleaned');
const keys = ['overall', 'string', 'synonym', 'abbreviation', 'hyponym'];
const get = (x, ranker, setting, key) => x.results.find((y) => y.ranker === ranker)?.[setting].find((y) => y.key === key);
const table = (title, setting, metric) => {
  const out = [`**${title}**`, '', '| match type | n | dense raw | dense cleaned | Δ | hybrid raw | hybrid cleaned | Δ |', '|---|---:|---:|---:|---:|---:|---:|---:|'];
  for (const k of keys) {
    const cells = [];
    let n = 0;
    for (const ranker of ['dense', 'hybrid']) {
      const x = get(r, ranker, setting, k), y = get(c, ranker, setting, k);
      if (!x || !y || !x.scores.n) { cells.push('', '', ''); continue; }
      n = x.scores.n;
      const d = (y.scores[metric] - x.scores[metric]) * 100;
      cells.push((x.scores[metric] * 100).toFixed(1), (y.scores[metric] * 100).toFixed(1), `${d >= 0 ? '+' : ''}${d.toFixed(1)}`);
    }
    out.push(`| ${k} | ${n} | ${cells.join(' | ')} |`);
  }
  return out.join('\n') + '\n';
};
console.log(`# Stage II on raw vs cleaned synthetic pairs

\`bash bench/pairsReviewAblation.sh\` (this file is its output; STEPS=${steps} BATCH=${batch} MINUTES=${minutes}).
Pairs: \`${pairsPath.split('/').pop()}\` (${pairs} pairs). Labels: \`${labelsPath.split('/').pop()}\`: ${current.size} pairs labelled
(${count('valid')} valid, ${count('noise')} noise, ${count('unsure')} unsure; ${sampled} in the random-sample order) by ${[...reviewers].join(', ') || 'nobody'}.
Two Stage II runs from the same base (\`${base.replace(/.*\/(models\/[^/]+)$/, '$1')}\`), batch ${batch} chunks, 16 positives, lr 1e-4,
warmup 0.1, seed ${seed}, one thread each; the cleaned run leaves out the ${count('noise')} pairs labelled noise. Dense and hybrid
rankers of each on mtsamples-dev (held out), CliniQ metrics ×100.

| | raw | cleaned |
|---|---:|---:|
| steps done / planned | ${sr.steps} / ${sr.planned_steps} | ${sc.steps} / ${sc.planned_steps} |
| final loss | ${sr.loss.toFixed(4)} | ${sc.loss.toFixed(4)} |
| model | \`${r.model.id}\` | \`${c.model.id}\` |

Wall time of both runs: ${wall} min. ${r.machine}; ${r.created.slice(0, 16)}Z.
`);
console.log(table('Single-patient MRR', 'single', 'mrr'));
console.log(table('Multi-patient MRR', 'multi', 'mrr'));
console.log(table('Multi-patient Recall@100', 'multi', 'recall100'));
JS
cat "$OUT_MD"
