#!/usr/bin/env bash
# The main job on the shipped defaults: build, index the demo notes with the demo model, search them.
# Usage: bash scripts/demo.sh   (or npm run demo). Needs Node >= 20.19; installs nothing but node_modules if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ]; then
  echo "== node_modules is missing: npm ci (CUDA download skipped)"
  ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci
fi

echo "== Building (esbuild)"
node esbuild.mjs

NOTES=demo/notes
MODEL=models/demo
if [ ! -f "$MODEL/drehr.json" ]; then
  echo "The demo model is missing ($MODEL). Make it with: /usr/bin/python3 scripts/make_fixture_model.py" >&2
  exit 3
fi
drehr() { node dist/cli.js "$@"; }

echo
echo "== Indexing $NOTES (incremental: a second run embeds only changed notes)"
drehr index "$NOTES" --model "$MODEL"

query() {
  echo
  echo "== drehr search $NOTES $*"
  drehr search "$NOTES" "$@" --model "$MODEL" -k 3 2>/dev/null || true
}
query "HTN"                                   # an abbreviation
query "high blood pressure"                   # a synonym of hypertension
query "shortness of breath" --mode dense      # the encoder alone
query "gout flare colchicine" --patient p128  # single-patient retrieval (a row of exports/aci_notes.csv)

model_note=$(node -e "const d=require('./$MODEL/drehr.json'); console.log(d.trained ? '' : 'Note: '+d.name+' is untrained, so dense ranks are arbitrary until a trained model replaces it (see Train Stage I/II).')")
[ -n "$model_note" ] && { echo; echo "$model_note"; }

echo
echo "== Synthetic pairs for Stage II: the graph generator (no LLM needed), then their suspicion scores"
PAIRS="$NOTES/.drehr/synth/pairs-graph.jsonl"
drehr synth "$NOTES" --model-dir "$MODEL" --out "$PAIRS" 2>/dev/null
drehr synth score "$PAIRS" "$NOTES" --model-dir "$MODEL" --beside 2>/dev/null
echo "Most suspicious pairs first (score, entity, type, how it was produced, reasons):"
node -e '
const fs = require("fs"); const P = process.argv[1];
const pairs = new Map(fs.readFileSync(P, "utf8").trim().split("\n").map((l) => { const o = JSON.parse(l); return [o.id, o]; }));
const s = fs.readFileSync(P + ".suspicion.jsonl", "utf8").trim().split("\n").map((l) => JSON.parse(l)).sort((a, b) => b.score - a.score);
for (const x of s.slice(0, 5)) { const p = pairs.get(x.pair_id); console.log("  " + x.score.toFixed(3) + "  " + p.entity + " (" + p.entity_type + ", " + p.produced_by + "): " + x.reasons.map((r) => r.code).join(", ")); }
' "$PAIRS"
cat <<TXT
To review them: open $NOTES in VS Code (below), open .drehr/synth/pairs-graph.jsonl and run
"DR.EHR: Review Synthetic Pairs" (scores are read from pairs-graph.jsonl.suspicion.jsonl beside it).
With an LLM server (vLLM, Ollama, llama.cpp) on this machine instead of the graph:
  node dist/cli.js synth $NOTES --generator llm --endpoint http://127.0.0.1:8000/v1 --model NAME --out /tmp/llm-pairs.jsonl
TXT

cat <<'TXT'

== Open the same workspace in VS Code with the extension
  npm run package                                   # builds dist-vsix/drehr-vscode.vsix
  code --install-extension dist-vsix/drehr-vscode.vsix
  code demo/notes
Then run "DR.EHR: Search Notes" from the command palette (the index built above in demo/notes/.drehr/index is
reused), or "DR.EHR: Index Workspace" to refresh it. For development instead: open this repository in VS Code
and press F5 with demo/notes as the workspace folder.
TXT
