#!/usr/bin/env bash
# Start the action server and the Rasa server in the foreground; Ctrl-C or SIGTERM stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST="${BOT_HOST:-127.0.0.1}"
RASA_PORT="${RASA_PORT:-5005}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
MODEL="models/$(cat models/current)"
mkdir -p var
export TF_CPP_MIN_LOG_LEVEL=2
# Channels: credentials.yml + channels/*.yml whose ${VARS} are all set (docs/channels.md).
.venv/bin/python -m bot.channels.credentials --out var/credentials.yml

auth=()
if [ -n "${BOT_API_TOKEN:-}" ]; then
  auth=(--auth-token "$BOT_API_TOKEN")
fi

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

SANIC_HOST="${ACTIONS_HOST:-127.0.0.1}" .venv/bin/python -m rasa_sdk --actions actions --port "$ACTIONS_PORT" &
pids+=($!)
.venv/bin/python -m rasa run --model "$MODEL" --enable-api "${auth[@]}" \
  --interface "$HOST" --port "$RASA_PORT" \
  --endpoints endpoints.yml --credentials var/credentials.yml &
pids+=($!)

echo "Starting... the assistant will answer at http://$HOST:$RASA_PORT/webhooks/rest/webhook"
echo "  e.g. curl -s -XPOST http://$HOST:$RASA_PORT/webhooks/rest/webhook -d '{\"sender\":\"me\",\"message\":\"my legs feel heavy\"}'"
echo "  tracker: http://$HOST:$RASA_PORT/conversations/me/tracker   (Ctrl-C stops both servers)"
wait -n "${pids[@]}"
