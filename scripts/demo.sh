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

cat <<'TXT'

== Open the same workspace in VS Code with the extension
  npm run package                                   # builds dist-vsix/drehr-vscode.vsix
  code --install-extension dist-vsix/drehr-vscode.vsix
  code demo/notes
Then run "DR.EHR: Search Notes" from the command palette (the index built above in demo/notes/.drehr/index is
reused), or "DR.EHR: Index Workspace" to refresh it. For development instead: open this repository in VS Code
and press F5 with demo/notes as the workspace folder.
TXT
