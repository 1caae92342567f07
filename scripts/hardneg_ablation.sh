#!/usr/bin/env bash
# Hard negatives in Stage II (issue 10, item 5): two Stage II runs from the same base (the shipped demo model, whose
# weights the trainer reads from its ONNX graph), same stand-in pairs (MTSamples keywords, training split), seed,
# batch and step count; one with in-batch negatives only, one adding HARDNEG BM25-mined, graph-filtered hard-negative
# chunks per batch chunk. Trained side by side on one thread each, niced and time-guarded; then the dense and hybrid
# rankers of each on mtsamples-dev (held out) with the CliniQ metrics. Writes bench/HARDNEG.md.
#
#   bash scripts/hardneg_ablation.sh                  # STEPS=60 BATCH=16 HARDNEG=1 MINUTES=14
#   SKIP_TRAIN=1 bash scripts/hardneg_ablation.sh     # only evaluate runs already in $OUT_ROOT-*
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-/usr/bin/python3}"
SHARED="${DREHR_SHARED:-$ROOT/../shared/data}"
OUT_ROOT="${OUT_ROOT:-/tmp/hardneg}"
STEPS="${STEPS:-60}"
BATCH="${BATCH:-16}"
HARDNEG="${HARDNEG:-1}"
MINUTES="${MINUTES:-14}"
BASE="${BASE:-$ROOT/models/demo}"
OUT_MD="${OUT_MD:-bench/HARDNEG.md}"
BENCH="$ROOT/benchmarks/mtsamples-dev"
[ -f "$SHARED/notes/mtsamples.csv" ] || { echo "MTSamples not found under $SHARED" >&2; exit 2; }
[ -f "$BENCH/bench.json" ] || bash "$ROOT/scripts/build_benchmarks.sh"
export PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"
GRAPH="${GRAPH:-$OUT_ROOT-graph.jsonl.gz}"
[ -f "$GRAPH" ] || "$PY" -c "import sys; from drehr_train.graph import build_graph; build_graph(sys.argv[2:]).save(sys.argv[1])" \
  "$GRAPH" "$ROOT/python/drehr_train/data" "$SHARED"

t0=$(date +%s)
if [ -z "${SKIP_TRAIN:-}" ]; then
  pids=()
  for arm in inbatch hardneg; do
    extra=()
    [ $arm = hardneg ] && extra=(--hard-negatives "$HARDNEG")
    rm -rf "$OUT_ROOT-$arm"
    (cd "$ROOT/python" && DREHR_THREADS=1 nice -n 10 "$PY" -m drehr_train stage2 --base "$BASE" \
      --mtsamples "$SHARED/notes/mtsamples.csv" --graph "$GRAPH" --out "$OUT_ROOT-$arm" --max-steps "$STEPS" --max-minutes "$MINUTES" \
      --batch-size "$BATCH" --num-pos 16 --lr 1e-4 --warmup 0.1 --max-passage 128 --max-query 16 --seed 42 \
      --checkpoint-every "$STEPS" --threads 1 "${extra[@]}" > "$OUT_ROOT-$arm.log" 2>&1) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
fi
t1=$(date +%s)

cd "$ROOT"
node esbuild.mjs >/dev/null
for arm in inbatch hardneg; do
  nice -n 10 node dist/cli.js eval --bench "$BENCH" --model "$OUT_ROOT-$arm/model" --ranker dense,hybrid --out "$OUT_ROOT-$arm/eval" >/dev/null
done
node - "$OUT_ROOT" "$STEPS" "$BATCH" "$HARDNEG" "$MINUTES" "$(( (t1 - t0) / 60 ))" "$BASE" > "$OUT_MD" <<'JS'
const fs = require('fs');
const [root, steps, batch, hardneg, minutes, wall, base] = process.argv.slice(2);
const rep = (arm) => JSON.parse(fs.readFileSync(`${root}-${arm}/eval/report.json`, 'utf8'));
const stageOf = (arm) => JSON.parse(fs.readFileSync(`${root}-${arm}/model/drehr.json`, 'utf8')).provenance.stages.at(-1);
const a = rep('inbatch'), h = rep('hardneg');
const sa = stageOf('inbatch'), sh = stageOf('hardneg');
const keys = ['overall', 'string', 'synonym', 'abbreviation', 'hyponym'];
const get = (r, ranker, setting, key) => r.results.find((x) => x.ranker === ranker)?.[setting].find((x) => x.key === key);
const table = (title, setting, metric) => {
  const out = [`**${title}**`, '', '| match type | n | dense in-batch | dense +hard | Δ | hybrid in-batch | hybrid +hard | Δ |', '|---|---:|---:|---:|---:|---:|---:|---:|'];
  for (const k of keys) {
    const cells = [];
    let n = 0;
    for (const ranker of ['dense', 'hybrid']) {
      const x = get(a, ranker, setting, k), y = get(h, ranker, setting, k);
      if (!x || !y || !x.scores.n) { cells.push('', '', ''); continue; }
      n = x.scores.n;
      const d = (y.scores[metric] - x.scores[metric]) * 100;
      cells.push((x.scores[metric] * 100).toFixed(1), (y.scores[metric] * 100).toFixed(1), `${d >= 0 ? '+' : ''}${d.toFixed(1)}`);
    }
    out.push(`| ${k} | ${n} | ${cells.join(' | ')} |`);
  }
  return out.join('\n') + '\n';
};
const hn = sh.data.hard_negatives ?? {};
console.log(`# Hard negatives in Stage II: effect on the evaluation benchmark

\`bash scripts/hardneg_ablation.sh\` (this file is its output; STEPS=${steps} BATCH=${batch} HARDNEG=${hardneg} MINUTES=${minutes}).
Two Stage II runs from the same base (\`${base.replace(/.*\/(models\/[^/]+)$/, '$1')}\`, weights read from its ONNX graph), on the
MTSamples-keyword stand-in pairs (training split), batch ${batch} chunks, 16 positives, lr 1e-4, warmup 0.1, seed 42,
one thread each, side by side; one with in-batch negatives only, one adding ${hardneg} hard-negative chunk(s) per batch
chunk (BM25 over the same patient's other chunks for one of the chunk's sampled entities, minus chunks that name the
entity, a synonym or abbreviation of it, or a concept or hyponym the graph links to it). Dense and hybrid (RRF with
BM25) rankers of each on mtsamples-dev (held out), CliniQ metrics ×100.

| | in-batch | +hard negatives |
|---|---:|---:|
| steps done / planned | ${sa.steps} / ${sa.planned_steps} | ${sh.steps} / ${sh.planned_steps} |
| chunks/s (batch chunks, one thread) | ${sa.samples_per_s} | ${sh.samples_per_s} |
| final loss | ${sa.loss.toFixed(4)} | ${sh.loss.toFixed(4)} (includes the hard-negative term) |
| model | \`${a.model.id}\` | \`${h.model.id}\` |

Hard-negative mining: ${hn.pairs ?? '?'} (chunk, entity) pairs, ${hn.pairs_with_negative ?? '?'} (${((hn.share_with_negative ?? 0) * 100).toFixed(1)} %) got at least one negative,
${hn.negatives_per_pair ?? '?'} per pair. Wall time of both runs: ${wall} min. ${a.machine}; ${a.created.slice(0, 16)}Z.
`);
console.log(table('Single-patient MRR', 'single', 'mrr'));
console.log(table('Multi-patient MRR', 'multi', 'mrr'));
console.log(table('Multi-patient Recall@100', 'multi', 'recall100'));
JS
cat "$OUT_MD"
