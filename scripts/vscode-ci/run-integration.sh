#!/usr/bin/env bash
# Builds the extension and the test bundles, then runs test/integration inside a real VS Code extension host
# (code-server + headless Chromium). Needs `bash scripts/setup.sh --all` once. Extra arguments go to
# run-integration.mjs (e.g. --keep to keep the scratch folder, --timeout SECONDS).
set -euo pipefail
cd "$(dirname "$0")/../.."
node esbuild.mjs
node esbuild.mjs --tests
exec node scripts/vscode-ci/run-integration.mjs "$@"
