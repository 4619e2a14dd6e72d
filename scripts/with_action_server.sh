#!/usr/bin/env bash
# Run a command while the project's action server (bot.security.action_server, token
# required) listens on 127.0.0.1:${ACTIONS_PORT:-5055}. Used by `make shell` and
# `make conversations`: the command gets ACTIONS_TOKEN in its environment and should
# use the endpoints file written here, var/endpoints.local.yml (endpoints.yml plus
# `Authorization: Bearer ${ACTIONS_TOKEN}`; the token itself is never written).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
PORT="${ACTIONS_PORT:-5055}"
ENDPOINTS=var/endpoints.local.yml
# Our own server must answer on the port, not one left running (e.g. by `make run`).
if ! .venv/bin/python -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))" "$PORT" 2>/dev/null; then
  echo "with_action_server: port $PORT is in use (is make run going?); set ACTIONS_PORT" >&2
  exit 1
fi
# A fresh token for this run unless one is given.
if [ -z "${ACTIONS_TOKEN:-}" ]; then
  ACTIONS_TOKEN="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')"
fi
export ACTIONS_TOKEN
.venv/bin/python -m bot.security.endpoints "$ENDPOINTS" --source endpoints.yml \
  --url "http://127.0.0.1:$PORT/webhook"
.venv/bin/python -m bot.security.action_server --actions actions --host 127.0.0.1 \
  --port "$PORT" >var/action_server.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  if curl -sf "http://127.0.0.1:$PORT/health" >/dev/null; then break; fi
  if ! kill -0 $pid 2>/dev/null; then echo "action server failed to start:" >&2; cat var/action_server.log >&2; exit 1; fi
  sleep 0.5
done
"$@"
