#!/usr/bin/env bash
# The one command that runs every test (`npm test` runs this; .ci/run runs `npm test`). It first installs what the
# tests need (scripts/setup.sh --all: Debian packages, npm packages, a real VS Code), then runs each suite and ends
# with one summary line: "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --all
exec node scripts/test-all.mjs "$@"
