#!/usr/bin/env bash
# GPU check of issue 9 items 2-3, ready for a CUDA machine (none was available while it was written):
#   1. one process, --engine torch: one Python worker per visible GPU (the log line names how many);
#   2. torchrun with one rank per GPU, --engine torch: each rank on its LOCAL_RANK-th GPU (CUDA_VISIBLE_DEVICES line);
#   3. both indexes hold the same chunk ids (vectors: fp16 on GPU, so compared by the ids and counts only).
# Needs: node (>= 20.19; a node binary may travel with the tree), dist/ built, PyTorch with CUDA (python3 or $PY).
# Usage: bash scripts/gpu_distributed_check.sh [NOTES_DIR]   (default demo/notes)
# A smoke test of the script on CPU: DEVICE=cpu N=2 bash scripts/gpu_distributed_check.sh DIR (the GPU checks are skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
NODE=${NODE:-node}
NOTES=${1:-demo/notes}
DEVICE=${DEVICE:-cuda}
N=${N:-$("$PY" -c 'import torch; print(torch.cuda.device_count())')}
[ "$N" -ge 1 ] || { echo "no CUDA device visible to $PY"; exit 1; }
gpu() { [ "$DEVICE" = cuda ]; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cp -r "$NOTES" "$W/one"; cp -r "$NOTES" "$W/dist"
rm -rf "$W/one/.drehr" "$W/dist/.drehr"
echo "== $N device(s) ($DEVICE): one process, torch engine (one worker per GPU)"
"$NODE" dist/cli.js index "$W/one" --engine torch --device "$DEVICE" --python "$PY" --json > "$W/one.json" 2> "$W/one.log" || { tail -20 "$W/one.log"; exit 1; }
grep -E "Engine: torch|workers" "$W/one.log" || true
if gpu && [ "$N" -gt 1 ]; then grep -q "$N workers, one per GPU" "$W/one.log" || { echo "FAIL: expected $N torch workers"; exit 1; }; fi
echo "== torchrun, $N rank(s), torch engine"
PYTHONPATH=python "$PY" -m drehr_train.torchrun --standalone --nproc_per_node "$N" --no_python "$NODE" dist/cli.js index "$W/dist" \
  --distributed --engine torch --device "$DEVICE" --python "$PY" > "$W/dist.out" 2> "$W/dist.log" || { tail -30 "$W/dist.log"; exit 1; }
grep -E "CUDA_VISIBLE_DEVICES|Engine: torch" "$W/dist.log" | sort | uniq
gpu && for r in $(seq 0 $((N - 1))); do
  grep -q "\[rank $r\] LOCAL_RANK $r: CUDA_VISIBLE_DEVICES=" "$W/dist.log" || { echo "FAIL: rank $r did not pick its GPU"; exit 1; }
done
cat "$W/dist.out"
echo "== same chunk ids"
ids() { "$NODE" -e '
const lancedb = require("@lancedb/lancedb");
(async () => { const db = await lancedb.connect(process.argv[1]); const t = await db.openTable("chunks");
  const ids = (await t.query().select(["id"]).toArray()).map((r) => r.id).sort(); console.log(ids.length, new Set(ids).size, require("crypto").createHash("sha256").update(ids.join("\n")).digest("hex")); })();' "$1"; }
A=$(ids "$W/one/.drehr/index"); B=$(ids "$W/dist/.drehr/index")
echo "one process: $A"; echo "torchrun:    $B"
[ "$A" = "$B" ] && echo "OK" || { echo "FAIL: the indexes differ"; exit 1; }
