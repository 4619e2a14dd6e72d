#!/usr/bin/env bash
# Run a command while the project's action server listens on 127.0.0.1:${ACTIONS_PORT:-5055}.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
PORT="${ACTIONS_PORT:-5055}"
SANIC_HOST="${ACTIONS_HOST:-127.0.0.1}" .venv/bin/python -m rasa_sdk --actions actions --port "$PORT" >var/action_server.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  if curl -sf "http://127.0.0.1:$PORT/health" >/dev/null; then break; fi
  if ! kill -0 $pid 2>/dev/null; then echo "action server failed to start:" >&2; cat var/action_server.log >&2; exit 1; fi
  sleep 0.5
done
"$@"
