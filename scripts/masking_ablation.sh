#!/usr/bin/env bash
# The effect of false-negative masking (issue 3): two Stage I runs from the same from-scratch base, data, seed and
# step count, one with masking (the default) and one with --no-mask-false-negatives, trained side by side on one
# thread each; then the dense ranker of each on mtsamples-dev (held out) with the CliniQ metrics. Writes
# bench/MASKING.md. Needs the demo recipe's work folder (graph + base: run scripts/train_demo_model.sh once, or
# point DREHR_WORK at one) and ../shared/data (MTSamples, the held-out benchmark).
#
#   bash scripts/masking_ablation.sh            # STEPS=100 by default (~20 minutes on 2 cores)
#   SKIP_TRAIN=1 bash scripts/masking_ablation.sh   # only evaluate runs already in $OUT_ROOT
#   FROM_MODEL=$DREHR_WORK/stage1/model STEPS=60 OUT_MD=bench/MASKING-continued.md bash scripts/masking_ablation.sh
#                                               # continue a trained Stage I model instead (lr 1e-4, no warmup restart)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-/usr/bin/python3}"
WORK="${DREHR_WORK:-/tmp/drehr-demo-train}"
SHARED="${DREHR_SHARED:-$ROOT/../shared/data}"
OUT_ROOT="${OUT_ROOT:-/tmp/ablation}"
STEPS="${STEPS:-100}"
FROM_MODEL="${FROM_MODEL:-}"
OUT_MD="${OUT_MD:-bench/MASKING.md}"
if [ -n "$FROM_MODEL" ]; then start=(--base "$FROM_MODEL" --lr 1e-4); else start=(--base "$WORK/base" --from-scratch --lr 5e-4); fi
BENCH="$ROOT/benchmarks/mtsamples-dev"
[ -f "$WORK/graph.jsonl.gz" ] && [ -d "$WORK/base" ] || { echo "no graph/base in $WORK: run scripts/train_demo_model.sh first" >&2; exit 2; }
[ -f "$SHARED/notes/mtsamples.csv" ] || { echo "MTSamples not found under $SHARED" >&2; exit 2; }
[ -f "$BENCH/bench.json" ] || bash "$ROOT/scripts/build_benchmarks.sh"
export PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"

if [ -z "${SKIP_TRAIN:-}" ]; then
  pids=()
  for arm in masked unmasked; do
    extra=()
    [ $arm = unmasked ] && extra=(--no-mask-false-negatives)
    rm -rf "$OUT_ROOT-$arm"
    (cd "$ROOT/python" && DREHR_THREADS=1 "$PY" -m drehr_train stage1 "${start[@]}" \
      --notes "$ROOT/demo/notes" --mtsamples "$SHARED/notes/mtsamples.csv" --graph "$WORK/graph.jsonl.gz" \
      --out "$OUT_ROOT-$arm" --max-steps "$STEPS" --batch-size 32 --num-pos 8 --warmup 0.1 \
      --max-passage 128 --max-query 16 --seed 42 --checkpoint-every "$STEPS" --threads 1 "${extra[@]}" \
      > "$OUT_ROOT-$arm.log" 2>&1) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
fi

cd "$ROOT"
node esbuild.mjs
for arm in masked unmasked; do
  node dist/cli.js eval --bench "$BENCH" --model "$OUT_ROOT-$arm/model" --ranker dense --out "$OUT_ROOT-$arm/eval" >/dev/null
done
node - "$OUT_ROOT" "$STEPS" "$FROM_MODEL" > "$OUT_MD" <<'JS'
const fs = require('fs');
const [root, steps, from] = process.argv.slice(2);
const rep = (arm) => JSON.parse(fs.readFileSync(`${root}-${arm}/eval/report.json`, 'utf8'));
const m = rep('masked'), u = rep('unmasked');
const row = (setting, key, metric) => {
  const get = (r) => r.results[0][setting].find((x) => x.key === key);
  const a = get(m), b = get(u);
  if (!a || !b || !a.scores.n) return null;
  const d = (a.scores[metric] - b.scores[metric]) * 100;
  return `| ${key} | ${a.scores.n} | ${(a.scores[metric] * 100).toFixed(1)} | ${(b.scores[metric] * 100).toFixed(1)} | ${d >= 0 ? '+' : ''}${d.toFixed(1)} |`;
};
const keys = ['overall', 'string', 'synonym', 'abbreviation', 'hyponym'];
const table = (title, setting, metric) => [`**${title}**`, '', '| match type | n | masked | unmasked | masked − unmasked |', '|---|---:|---:|---:|---:|',
  ...keys.map((k) => row(setting, k, metric)).filter(Boolean), ''].join('\n');
const origin = from
  ? `the same trained Stage I model (\`${from}\`, continued at lr 1e-4`
  : 'the same from-scratch base (demo recipe: 4 × 256 BERT, mean pooling, lr 5e-4';
console.log(`# False-negative masking: effect on the evaluation benchmark

\`bash scripts/masking_ablation.sh\` (this file is its output). Two Stage I runs of ${steps} steps from
${origin}; batch 32, 8 positives, seed 42, same data and order), one masking in-batch false negatives (another chunk of the batch that shares the entity is not a
negative: the default) and one not; the dense ranker of each on mtsamples-dev (held out), CliniQ metrics ×100.
Models: masked \`${m.model.id}\`, unmasked \`${u.model.id}\`. ${m.machine}; ${m.created.slice(0, 16)}Z.
`);
console.log(table('Single-patient MRR', 'single', 'mrr'));
console.log(table('Multi-patient MRR', 'multi', 'mrr'));
console.log(table('Multi-patient Recall@100', 'multi', 'recall100'));
JS
cat "$OUT_MD"
