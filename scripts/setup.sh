#!/usr/bin/env bash
# Everything a fresh Debian machine needs for building, testing and running the extension:
# npm packages from the lockfile, and the offline VS Code host harness (Debian Chromium + VS Code server).
set -euo pipefail
cd "$(dirname "$0")/.."
export npm_config_audit=false npm_config_fund=false
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci
fi
bash test/host/setup.sh
