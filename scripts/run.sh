#!/usr/bin/env bash
# Start the action server, the Rasa server and the chat page server in the foreground;
# Ctrl-C or SIGTERM stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST="${BOT_HOST:-127.0.0.1}"
RASA_PORT="${RASA_PORT:-5005}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
# The chat page (docs/web.md). WEB_ORIGIN is the address the browser opens;
# ALLOWED_ORIGINS the other sites that embed the widget (space- or comma-separated).
# Rasa's CORS, its socket.io channel (both transports) and the page server allow exactly
# these origins (bot/web/origins.py). RASA_PUBLIC_URL is where the browser finds Rasa.
WEB_HOST="${WEB_HOST:-127.0.0.1}"
WEB_PORT="${WEB_PORT:-8080}"
WEB_ORIGIN="${WEB_ORIGIN:-http://127.0.0.1:$WEB_PORT}"
RASA_PUBLIC_URL="${RASA_PUBLIC_URL:-http://127.0.0.1:$RASA_PORT}"
export WEB_ORIGIN ALLOWED_ORIGINS="${ALLOWED_ORIGINS:-}"
CORS_LIST="$(.venv/bin/python -m bot.web.origins)"  # fails on a bad entry
read -r -a CORS_ORIGINS <<<"$CORS_LIST"
# The HTTP API (docs/security.md): BOT_JWT_SECRET (JWT in an Authorization header) and/or
# BOT_API_TOKEN (?token=). Off the loopback interface one of them is required, or
# BOT_ENABLE_API=0 serves only the channels. Checked before anything is written.
.venv/bin/python -m bot.security.preflight --api-only --api-host "$HOST"
MODEL="models/$(cat models/current)"
mkdir -p var
# Every port this instance uses must be free: a second `make run` on other ports
# (RASA_PORT, ACTIONS_PORT, WEB_PORT) runs beside the first; the same port twice is refused.
for pair in "RASA_PORT:$HOST:$RASA_PORT" "ACTIONS_PORT:${ACTIONS_HOST:-127.0.0.1}:$ACTIONS_PORT" \
            "WEB_PORT:$WEB_HOST:$WEB_PORT"; do
  IFS=: read -r name host port <<<"$pair"
  if ! .venv/bin/python -c "import socket,sys; s=socket.socket(); s.bind((sys.argv[1], int(sys.argv[2])))" "$host" "$port" 2>/dev/null; then
    echo "make run: port $port ($name) on $host is in use; set $name to a free port" >&2
    exit 1
  fi
done
# This instance's generated configuration (another instance on other ports has its own).
RUN_DIR="var/run-$RASA_PORT"
mkdir -p "$RUN_DIR"
export TF_CPP_MIN_LOG_LEVEL=2
# One TensorFlow thread per Rasa process: its models are tiny, and waking a pool of
# threads for each prediction cost more than it saved (docs/performance.md).
export TF_INTRA_OP_PARALLELISM_THREADS="${TF_INTRA_OP_PARALLELISM_THREADS:-1}"
export TF_INTER_OP_PARALLELISM_THREADS="${TF_INTER_OP_PARALLELISM_THREADS:-1}"
# Channels: credentials.yml + channels/*.yml whose ${VARS} are all set (docs/channels.md).
.venv/bin/python -m bot.channels.credentials --out "$RUN_DIR/credentials.yml"
# Storage: SQLite var/tracker.db, or $DATABASE_URL (docs/storage.md). The password
# stays out of var/endpoints.yml: Rasa reads ${DATABASE_PASSWORD} from the environment.
.venv/bin/python -m bot.storage.endpoints --out "$RUN_DIR/endpoints.yml"
# The action server requires a shared token (docs/security.md): ACTIONS_TOKEN, or one
# generated once into var/actions_token (mode 600). Rasa sends it as a Bearer header.
if [ -z "${ACTIONS_TOKEN:-}" ]; then
  if [ ! -s var/actions_token ]; then
    (umask 077 && .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(32))" >var/actions_token)
  fi
  ACTIONS_TOKEN="$(cat var/actions_token)"
fi
export ACTIONS_TOKEN
# The chat page's conversation ids are signed by Rasa (docs/security.md): BOT_SESSION_SECRET,
# or one generated once into var/session_secret (mode 600). Only Rasa gets it.
if [ -z "${BOT_SESSION_SECRET:-}" ]; then
  if [ ! -s var/session_secret ]; then
    (umask 077 && .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(32))" >var/session_secret)
  fi
  BOT_SESSION_SECRET="$(cat var/session_secret)"
fi
# Sanic (Rasa's web server) reads SANIC_* variables (docs/security.md): bodies over 1 MiB are
# refused from their Content-Length before they are read, and a client stalling in its
# headers for 15 s is cut off (Sanic's defaults: 100 MB, 60 s). Only for Rasa: the action
# server receives whole trackers.
RASA_SANIC_REQUEST_MAX_SIZE="${SANIC_REQUEST_MAX_SIZE:-1048576}"
RASA_SANIC_REQUEST_TIMEOUT="${SANIC_REQUEST_TIMEOUT:-15}"
# Rasa calls the action server where this instance starts it (ACTIONS_PORT).
ACTIONS_URL_HOST="${ACTIONS_HOST:-127.0.0.1}"
case "$ACTIONS_URL_HOST" in 0.0.0.0|::|"") ACTIONS_URL_HOST=127.0.0.1 ;; esac
.venv/bin/python -m bot.security.endpoints "$RUN_DIR/endpoints.yml" \
  --url "http://$ACTIONS_URL_HOST:$ACTIONS_PORT/webhook"
DATABASE_PASSWORD="$(.venv/bin/python -m bot.storage.endpoints --password)"
export DATABASE_PASSWORD
# A clear error (not an endless retry or a traceback) for a bad model or an unreachable database.
.venv/bin/python -m bot.security.preflight --model "$MODEL"
.venv/bin/python -m bot.storage.migrate

api=()
if [ "${BOT_ENABLE_API:-1}" != 0 ]; then
  api=(--enable-api)
  if [ -n "${BOT_JWT_SECRET:-}" ]; then
    # Admin tokens: python -m bot.security.api_token (reads BOT_JWT_SECRET).
    api+=(--jwt-secret "$BOT_JWT_SECRET" --jwt-method HS256)
  fi
  if [ -n "${BOT_API_TOKEN:-}" ]; then
    api+=(--auth-token "$BOT_API_TOKEN")
  fi
fi

# The three processes run under bot.ops.supervisor: one that crashes is logged and
# restarted with back-off while the others keep serving; Ctrl-C or SIGTERM stops all
# three, in-flight requests first (docs/operations.md).
q() { printf '%q ' "$@"; }
rasa_cmd=(.venv/bin/python -m rasa run --model "$MODEL" "${api[@]}"
  --interface "$HOST" --port "$RASA_PORT"
  --endpoints "$RUN_DIR/endpoints.yml" --credentials "$RUN_DIR/credentials.yml"
  --cors "${CORS_ORIGINS[@]}")
export BOT_SESSION_SECRET

echo "Starting... the assistant will answer at http://$HOST:$RASA_PORT/webhooks/rest/webhook"
echo "  e.g. curl -s -XPOST http://$HOST:$RASA_PORT/webhooks/rest/webhook -H 'Content-Type: application/json' -d '{\"sender\":\"me\",\"message\":\"my legs feel heavy\"}'"
echo "  tracker: http://$HOST:$RASA_PORT/conversations/me/tracker   (Ctrl-C stops all servers)"
echo "  ready:   http://$HOST:$RASA_PORT/webhooks/health/ready   (model, database and action server)"
echo "  chat page: $WEB_ORIGIN/   (embed it: <script src=\"$WEB_ORIGIN/widget.js\" async></script>"
echo "   on a site listed in ALLOWED_ORIGINS; now: ${CORS_ORIGINS[*]})"
exec .venv/bin/python -m bot.ops.supervisor \
  --process "actions=$(q .venv/bin/python -m bot.security.action_server --actions actions \
      --host "${ACTIONS_HOST:-127.0.0.1}" --port "$ACTIONS_PORT")" \
  --process "rasa=SANIC_REQUEST_MAX_SIZE=$RASA_SANIC_REQUEST_MAX_SIZE SANIC_REQUEST_TIMEOUT=$RASA_SANIC_REQUEST_TIMEOUT $(q "${rasa_cmd[@]}")" \
  --process "web=$(q .venv/bin/python -m bot.web.serve --host "$WEB_HOST" --port "$WEB_PORT" --rasa-url "$RASA_PUBLIC_URL")" \
  --private rasa:BOT_SESSION_SECRET \
  --grace "${SHUTDOWN_GRACE:-20}"
