#!/usr/bin/env bash
# Trains the shipped demo model into models/demo, seeded, with the drehr_train pipeline (python/README.md, "Demo
# model"): knowledge graph -> WordPiece vocabulary -> masked-LM pretraining on the training notes -> Stage I on the
# open graph over the demo notes (+ the MTSamples training split when ../shared/data has it) -> Stage II on the
# MTSamples keyword stand-in pairs (with mined hard negatives when HARD_NEGATIVES > 0) -> export.
#
#   bash scripts/train_demo_model.sh            # the full recipe (python/README.md says how long it takes)
#   DRY=1 bash scripts/train_demo_model.sh      # the whole pipeline at tiny steps and a tiny model, in a few
#                                               # minutes, into $DREHR_WORK/demo-dry (never models/demo)
#   MLM_STEPS=20 STAGE1_STEPS=20 STAGE2_STEPS=5 DREHR_WORK=/tmp/x DREHR_OUT=/tmp/x/out bash scripts/train_demo_model.sh
#   RESUME=1 bash scripts/train_demo_model.sh   # after a stopped or killed run, with the same settings: every stage
#                                               # (MLM included) resumes from its last complete checkpoint in $DREHR_WORK
#   *_MINUTES=0 turns a stage's wall-time guard off (a long run spread over several sittings with RESUME=1).
#
# Work files (graph, run folders, checkpoints) go to $DREHR_WORK (default /tmp/drehr-demo-train), never into the
# repository; MTSamples text is only read from ../shared/data and never written into models/demo. Every stage has
# a wall-time guard (*_MINUTES): on a slower machine it ends early, checkpointed, and drehr.json records the steps.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-/usr/bin/python3}"
WORK="${DREHR_WORK:-/tmp/drehr-demo-train}"
SHARED="${DREHR_SHARED:-$ROOT/../shared/data}"
SEED="${SEED:-42}"
if [ -n "${DRY:-}" ]; then
  # The whole pipeline, end to end, at sizes that only prove it runs.
  OUT="${DREHR_OUT:-$WORK/demo-dry}"
  VOCAB="${VOCAB:-2000}"; HIDDEN="${HIDDEN:-64}"; LAYERS="${LAYERS:-1}"; HEADS="${HEADS:-2}"; FF="${FF:-128}"
  MLM_STEPS="${MLM_STEPS:-3}"; STAGE1_STEPS="${STAGE1_STEPS:-3}"; STAGE2_STEPS="${STAGE2_STEPS:-2}"
  BATCH="${BATCH:-4}"; PASSAGE="${PASSAGE:-64}"
  MLM_MINUTES="${MLM_MINUTES:-2}"; STAGE1_MINUTES="${STAGE1_MINUTES:-2}"; STAGE2_MINUTES="${STAGE2_MINUTES:-2}"
else
  OUT="${DREHR_OUT:-$ROOT/models/demo}"
  VOCAB="${VOCAB:-8000}"; HIDDEN="${HIDDEN:-256}"; LAYERS="${LAYERS:-4}"; HEADS="${HEADS:-4}"; FF="${FF:-1024}"
  MLM_STEPS="${MLM_STEPS:-1500}"; STAGE1_STEPS="${STAGE1_STEPS:-1000}"; STAGE2_STEPS="${STAGE2_STEPS:-200}"
  BATCH="${BATCH:-32}"; PASSAGE="${PASSAGE:-128}"
  MLM_MINUTES="${MLM_MINUTES:-90}"; STAGE1_MINUTES="${STAGE1_MINUTES:-120}"; STAGE2_MINUTES="${STAGE2_MINUTES:-40}"
fi
# Hard-negative chunks per batch chunk in Stage II (bench/HARDNEG.md decided the default).
HARD_NEGATIVES="${HARD_NEGATIVES:-0}"
export DREHR_THREADS="${DREHR_THREADS:-2}"
export PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"
MTS="$SHARED/notes/mtsamples.csv"
mts_args=()
if [ -f "$MTS" ]; then mts_args=(--mtsamples "$MTS"); else echo "MTSamples not found at $MTS: demo notes only, no Stage II" >&2; fi
mkdir -p "$WORK"
cd "$ROOT/python"

echo "== graph" >&2
graph_sources=(--sources "$ROOT/python/drehr_train/data")
[ -d "$SHARED" ] && graph_sources+=(--sources "$SHARED")
"$PY" -m drehr_train graph --out "$WORK/graph.jsonl.gz" "${graph_sources[@]}"

echo "== vocabulary and from-scratch base (hidden $HIDDEN, $LAYERS layers, $HEADS heads, FF $FF)" >&2
"$PY" -m drehr_train vocab --notes "$ROOT/demo/notes" "${mts_args[@]}" --size "$VOCAB" \
  --hidden "$HIDDEN" --layers "$LAYERS" --heads "$HEADS" --ff "$FF" --out "$WORK/base"

echo "== masked-LM pretraining: $MLM_STEPS steps on the training notes" >&2
[ -n "${RESUME:-}" ] || rm -rf "$WORK/mlm"
"$PY" -m drehr_train mlm --base "$WORK/base" --from-scratch --notes "$ROOT/demo/notes" "${mts_args[@]}" \
  --out "$WORK/mlm" --max-steps "$MLM_STEPS" --batch-size "$BATCH" --max-passage "$PASSAGE" --lr 5e-4 \
  --seed "$SEED" --max-minutes "$MLM_MINUTES" --threads "$DREHR_THREADS"

echo "== Stage I: $STAGE1_STEPS steps" >&2
[ -n "${RESUME:-}" ] || rm -rf "$WORK/stage1"
"$PY" -m drehr_train stage1 --base "$WORK/mlm" --notes "$ROOT/demo/notes" "${mts_args[@]}" \
  --graph "$WORK/graph.jsonl.gz" --out "$WORK/stage1" --max-steps "$STAGE1_STEPS" --batch-size "$BATCH" --num-pos 8 \
  --lr 5e-4 --warmup 0.1 --max-passage "$PASSAGE" --max-query 16 --seed "$SEED" --checkpoint-every 100 \
  --max-minutes "$STAGE1_MINUTES" --lexicon --threads "$DREHR_THREADS"
final="$WORK/stage1/model"

if [ -f "$MTS" ] && [ "$STAGE2_STEPS" -gt 0 ]; then
  echo "== Stage II: $STAGE2_STEPS steps on the MTSamples keyword stand-in, $HARD_NEGATIVES hard negative(s) per chunk" >&2
  [ -n "${RESUME:-}" ] || rm -rf "$WORK/stage2"
  "$PY" -m drehr_train stage2 --base "$WORK/stage1/model" "${mts_args[@]}" --graph "$WORK/graph.jsonl.gz" \
    --out "$WORK/stage2" --max-steps "$STAGE2_STEPS" --batch-size "$BATCH" --num-pos 16 --lr 1e-4 --warmup 0.1 \
    --max-passage "$PASSAGE" --max-query 16 --seed "$SEED" --checkpoint-every 50 --max-minutes "$STAGE2_MINUTES" \
    --hard-negatives "$HARD_NEGATIVES" --threads "$DREHR_THREADS" \
    --name "DR.EHR demo model" \
    --description "Demo model trained from scratch on CPU: MLM on the notes, Stage I on the open graph, Stage II on MTSamples keywords"
  final="$WORK/stage2/model"
fi

echo "== shipped-sources graph for drehr synth (python/drehr_train/data only: no ../shared text in the repository)" >&2
"$PY" -m drehr_train graph --out "$WORK/graph-shipped.jsonl.gz" --sources "$ROOT/python/drehr_train/data"

echo "== ship $final -> $OUT" >&2
"$PY" - "$final" "$OUT" "$WORK/graph-shipped.jsonl.gz" <<'PYEOF'
import json, os, shutil, sys, tempfile
src, out = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix=".demo-", dir=os.path.dirname(os.path.abspath(out)))
for name in os.listdir(src):
    if name == "model.safetensors":
        continue  # 20 MB of training weights stay out of the repository; the run folder keeps them
    p = os.path.join(src, name)
    (shutil.copytree if os.path.isdir(p) else shutil.copy2)(p, os.path.join(tmp, name))
shutil.copy2(sys.argv[3], os.path.join(tmp, "graph.jsonl.gz"))  # the graph generator's default (src/sidecar/synth)
meta = json.load(open(os.path.join(tmp, "drehr.json")))
meta["name"] = "DR.EHR demo model"
meta["description"] = ("Demo model trained from scratch on CPU (MLM on the notes + Stage I open graph + Stage II MTSamples "
                       "keywords); small, for the demo")
meta["trained"] = True
with open(os.path.join(tmp, "drehr.json"), "w") as f:
    json.dump(meta, f, indent=2)
    f.write("\n")
os.chmod(tmp, 0o755)
if os.path.exists(out):
    shutil.rmtree(out)
os.replace(tmp, out)
print(json.dumps({"shipped": out, "id": meta["id"], "steps": meta["provenance"]["steps"],
                  "metrics": meta["provenance"]["metrics"]}))
PYEOF
