#!/usr/bin/env bash
# Everything a fresh Debian machine needs for building, testing and running the extension:
# npm packages from the lockfile, and the offline VS Code host harness (Debian Chromium + VS Code server).
set -euo pipefail
cd "$(dirname "$0")/.."
# Under `npm test`/`npm start` the outer npm's exported configuration (npm_config_*) must not steer the nested installs.
while read -r name; do case $name in npm_*|NPM_*) unset "$name" ;; esac; done < <(compgen -e)
export npm_config_audit=false npm_config_fund=false
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci
fi
bash test/host/setup.sh
