#!/usr/bin/env bash
# Build the chat page into build/web/: our own files from web/src/ plus the
# socket.io v4 client, installed from the npm registry with `npm ci` (exact
# versions from web/package-lock.json) and copied into build/web/vendor/.
# Nothing is loaded from a CDN when the page runs.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=build/web
CLIENT=web/node_modules/socket.io-client

if ! command -v npm >/dev/null; then
  echo "build_web.sh: npm is needed (apt-get install -y nodejs npm)" >&2
  exit 1
fi
# Reinstall when the lock file is newer than the installed tree.
if [ ! -f "$CLIENT/dist/socket.io.min.js" ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi

rm -rf "$OUT"
mkdir -p "$OUT/vendor"
# The widget: widget.js + launcher.css (the bubble), chat.js + widget.css (the chat,
# loaded when opened), print-host.css; index.html + page.css: the stand-alone host page.
cp web/src/index.html web/src/page.css web/src/widget.js web/src/launcher.css web/src/chat.js \
   web/src/widget.css web/src/print-host.css web/src/favicon.svg "$OUT/"
# The ES module build: the widget imports it when the chat opens, so no global `io`.
cp "$CLIENT/dist/socket.io.esm.min.js" "$OUT/vendor/socket.io.esm.min.js"
cp "$CLIENT/LICENSE" "$OUT/vendor/socket.io-client.LICENSE"
version=$(node -p "require('./$CLIENT/package.json').version")
echo "Built $OUT/ (socket.io-client $version)"
