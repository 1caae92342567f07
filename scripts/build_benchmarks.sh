#!/usr/bin/env bash
# Builds the open benchmarks (CliniQ layout, docs/CONTRACTS.md "Benchmarks") with python/drehr_train/benchmark.py:
#   benchmarks/aci-demo       from demo/notes (ACI-Bench, CC BY 4.0): shipped, used by the test suite
#   benchmarks/mtsamples-dev  from ../shared/data/notes/mtsamples.csv, held-out split: development only, not shipped
# The graph comes from the open sources in python/drehr_train/data and ../shared/data.
# Usage: scripts/build_benchmarks.sh [--shared DIR]     (run from anywhere)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shared="${root}/../shared"
if [[ "${1:-}" == "--shared" ]]; then shared="$2"; fi
py=/usr/bin/python3
[[ -x "$py" ]] || py=python3
cd "${root}/python"
sources=("${root}/python/drehr_train/data")
if [[ -d "${shared}/data" ]]; then
  sources+=("${shared}/data")
else
  echo "note: ${shared}/data is missing; the graph is built from the shipped sources only (python/drehr_train/data)," >&2
  echo "      so the benchmark will hold fewer queries than the committed one." >&2
fi
graph="$(mktemp -d)/graph.jsonl.gz"
trap 'rm -rf "$(dirname "$graph")"' EXIT
"$py" -c "import sys; from drehr_train.graph import build_graph; build_graph(sys.argv[2:]).save(sys.argv[1])" "$graph" "${sources[@]}"

"$py" -m drehr_train.benchmark build --notes "${root}/demo/notes" --out "${root}/benchmarks/aci-demo" --name aci-demo \
  --source "demo/notes: ACI-Bench visit notes (CC BY 4.0, github wyim/aci-bench)" \
  --graph "$graph" --max-disease 60 --max-procedure 30 --max-drug 30

if [[ -f "${shared}/data/notes/mtsamples.csv" ]]; then
  "$py" -m drehr_train.benchmark mtsamples --csv "${shared}/data/notes/mtsamples.csv" --out "${root}/benchmarks/mtsamples-dev" \
    --name mtsamples-dev --graph "$graph" --max-disease 80 --max-procedure 40 --max-drug 40
else
  echo "skipped benchmarks/mtsamples-dev: ${shared}/data/notes/mtsamples.csv is missing (the development data lives outside the repo)." >&2
fi
