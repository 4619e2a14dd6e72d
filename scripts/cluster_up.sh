#!/usr/bin/env bash
# A local cluster on 127.0.0.1 (docs/deployment.md): nginx in front of
# RASA_REPLICAS Rasa servers and ACTION_REPLICAS action servers, conversations in a
# local PostgreSQL, the atomic ticket lock in a local Redis, the chat page through
# nginx. Everything runs in the background with its data, logs and pids under
# $CLUSTER_DIR (var/cluster); scripts/cluster_down.sh stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="$ROOT/.venv/bin/python"
DIR="$(mkdir -p "${CLUSTER_DIR:-var/cluster}" && cd "${CLUSTER_DIR:-var/cluster}" && pwd)"
RASA_REPLICAS="${RASA_REPLICAS:-2}"
ACTION_REPLICAS="${ACTION_REPLICAS:-2}"
CLUSTER_PORT="${CLUSTER_PORT:-8088}"              # nginx: page, socket.io, webhooks
export CLUSTER_ACTIONS_PORT="${CLUSTER_ACTIONS_PORT:-5150}"  # nginx: action servers
export CLUSTER_PG_PORT="${CLUSTER_PG_PORT:-55432}"
export CLUSTER_REDIS_PORT="${CLUSTER_REDIS_PORT:-56379}"
RASA_BASE_PORT="${RASA_BASE_PORT:-5200}"          # replicas on 5201, 5202, ...
ACTIONS_BASE_PORT="${ACTIONS_BASE_PORT:-5250}"    # action servers on 5251, ...
WEB_PORT="${CLUSTER_WEB_PORT:-5199}"
ORIGIN="http://127.0.0.1:$CLUSTER_PORT"
# The sites allowed to embed the widget (bot/web/origins.py): the cluster's own page and
# ALLOWED_ORIGINS; Rasa's CORS, its socket.io channel and the page server all read them.
export WEB_ORIGIN="$ORIGIN" ALLOWED_ORIGINS="${ALLOWED_ORIGINS:-}"
CORS_LIST="$("$PY" -m bot.web.origins)"
read -r -a CORS_ORIGINS <<<"$CORS_LIST"
MODEL="$ROOT/models/$(cat models/current)"
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1
# One TensorFlow thread per replica (docs/performance.md): scale with replicas instead.
export TF_INTRA_OP_PARALLELISM_THREADS="${TF_INTRA_OP_PARALLELISM_THREADS:-1}"
export TF_INTER_OP_PARALLELISM_THREADS="${TF_INTER_OP_PARALLELISM_THREADS:-1}"
mkdir -p "$DIR"/{logs,run,nginx,redis}

for tool in nginx redis-server; do
  command -v "$tool" >/dev/null || { echo "cluster_up: $tool missing (make cluster installs it)" >&2; exit 1; }
done
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$PG_BIN/postgres" ] || { echo "cluster_up: PostgreSQL missing (make postgres)" >&2; exit 1; }

# Secrets: generated once, kept in $DIR/secrets.env (mode 600), never printed.
if [ ! -f "$DIR/secrets.env" ]; then
  umask 077
  {
    echo "DATABASE_PASSWORD=$(openssl rand -hex 24 2>/dev/null || "$PY" -c 'import secrets;print(secrets.token_hex(24))')"
    echo "REDIS_PASSWORD=$("$PY" -c 'import secrets;print(secrets.token_hex(24))')"
    echo "RASA_AUTH_TOKEN=$("$PY" -c 'import secrets;print(secrets.token_hex(24))')"
    echo "ACTIONS_TOKEN=$("$PY" -c 'import secrets;print(secrets.token_hex(24))')"
    echo "BOT_SESSION_SECRET=$("$PY" -c 'import secrets;print(secrets.token_urlsafe(32))')"
  } > "$DIR/secrets.env"
  umask 022
fi
# Clusters made before the action servers required a token get one now.
grep -q '^ACTIONS_TOKEN=' "$DIR/secrets.env" \
  || (umask 077; echo "ACTIONS_TOKEN=$("$PY" -c 'import secrets;print(secrets.token_hex(24))')" >> "$DIR/secrets.env")
# ... and the chat page's session secret (one for every replica: docs/security.md).
grep -q '^BOT_SESSION_SECRET=' "$DIR/secrets.env" \
  || (umask 077; echo "BOT_SESSION_SECRET=$("$PY" -c 'import secrets;print(secrets.token_urlsafe(32))')" >> "$DIR/secrets.env")
set -a; . "$DIR/secrets.env"; set +a

# PostgreSQL refuses to run as root: then (only then) it runs as the postgres user.
as_db() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ ! -f "$DIR/pg/PG_VERSION" ]; then
  mkdir -p "$DIR/pg" "$DIR/pgsock"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR/pg" "$DIR/pgsock" && chmod 700 "$DIR/pg"
  pwfile="$(mktemp)"; echo "$DATABASE_PASSWORD" > "$pwfile"; chmod 644 "$pwfile"
  as_db "$PG_BIN/initdb" -D "$DIR/pg" -U heavylegs --pwfile="$pwfile" \
    --auth=scram-sha-256 -E UTF8 >"$DIR/logs/initdb.log" 2>&1 \
    || { rm -f "$pwfile"; echo "cluster_up: initdb failed:" >&2; cat "$DIR/logs/initdb.log" >&2; exit 1; }
  rm -f "$pwfile"
fi
if ! as_db "$PG_BIN/pg_ctl" -D "$DIR/pg" status >/dev/null 2>&1; then
  touch "$DIR/logs/postgres.log"; [ "$(id -u)" = 0 ] && chown postgres "$DIR/logs/postgres.log"
  as_db "$PG_BIN/pg_ctl" -D "$DIR/pg" -l "$DIR/logs/postgres.log" -w -t 60 \
    -o "-p $CLUSTER_PG_PORT -k $DIR/pgsock -c listen_addresses=127.0.0.1" start >/dev/null
fi
export PGPASSWORD="$DATABASE_PASSWORD"
if ! "$PG_BIN/psql" -h 127.0.0.1 -p "$CLUSTER_PG_PORT" -U heavylegs -d postgres -tAc \
     "SELECT 1 FROM pg_database WHERE datname='heavylegs'" | grep -q 1; then
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$CLUSTER_PG_PORT" -U heavylegs heavylegs
fi
unset PGPASSWORD
DATABASE_URL="postgresql://heavylegs:$DATABASE_PASSWORD@127.0.0.1:$CLUSTER_PG_PORT/heavylegs"
DATABASE_URL="$DATABASE_URL" "$PY" -m bot.storage.migrate >"$DIR/logs/migrate.log" 2>&1 \
  || { echo "cluster_up: migrations failed, see $DIR/logs/migrate.log" >&2; exit 1; }

# Is the process of this pid file running? A killed process can linger as a zombie until
# it is reaped, and `kill -0` succeeds on a zombie: `make cluster` run again right after a
# part died would then leave it dead.
running() {
  local pid
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' "/proc/$pid/status"
}

# Redis: password from secrets.env via a config file (not on the command line).
{
  echo "bind 127.0.0.1"; echo "port $CLUSTER_REDIS_PORT"; echo "dir $DIR/redis"
  echo "requirepass $REDIS_PASSWORD"; echo "save \"\""; echo "appendonly no"
  echo "daemonize yes"; echo "pidfile $DIR/run/redis.pid"; echo "logfile $DIR/logs/redis.log"
} > "$DIR/redis/redis.conf"
chmod 600 "$DIR/redis/redis.conf"
running "$DIR/run/redis.pid" \
  || redis-server "$DIR/redis/redis.conf"

start() {  # name, log, command...
  local name="$1" log="$2"; shift 2
  if running "$DIR/run/$name.pid"; then return; fi
  nohup "$@" >"$log" 2>&1 </dev/null &
  echo $! > "$DIR/run/$name.pid"
}

"$PY" -m bot.channels.credentials --out "$DIR/credentials.yml" >/dev/null
for i in $(seq 1 "$ACTION_REPLICAS"); do
  DATABASE_URL="$DATABASE_URL" start "actions$i" "$DIR/logs/actions$i.log" \
    "$PY" -m bot.security.action_server --actions actions --host 127.0.0.1 --port $((ACTIONS_BASE_PORT + i))
done
# Sanic limits for Rasa only (docs/security.md): bodies over 1 MiB refused before they are
# read, 15 s to send the headers. The action servers receive whole trackers.
for i in $(seq 1 "$RASA_REPLICAS"); do
  start "rasa$i" "$DIR/logs/rasa$i.log" env SANIC_REQUEST_MAX_SIZE="${SANIC_REQUEST_MAX_SIZE:-1048576}" \
    SANIC_REQUEST_TIMEOUT="${SANIC_REQUEST_TIMEOUT:-15}" "$PY" -m rasa run --model "$MODEL" --enable-api \
    --auth-token "$RASA_AUTH_TOKEN" --interface 127.0.0.1 --port $((RASA_BASE_PORT + i)) \
    --endpoints deploy/local/endpoints.yml --credentials "$DIR/credentials.yml" --cors "${CORS_ORIGINS[@]}"
done
start web "$DIR/logs/web.log" "$PY" -m bot.web.serve --host 127.0.0.1 --port "$WEB_PORT" --rasa-url "$ORIGIN"

# nginx, from deploy/local/nginx.conf.template.
replicas=(); for i in $(seq 1 "$RASA_REPLICAS"); do replicas+=("127.0.0.1:$((RASA_BASE_PORT + i))"); done
action_servers=""; for i in $(seq 1 "$ACTION_REPLICAS"); do action_servers+="    server 127.0.0.1:$((ACTIONS_BASE_PORT + i));"$'\n'; done
user_line=""; [ "$(id -u)" = 0 ] && user_line="user $(id -un);"
mkdir -p "$DIR/nginx/temp"
# Every replica in rotation to begin with; the watcher below keeps this file afterwards.
running "$DIR/run/watch.pid" \
  || printf 'server %s max_fails=0;\n' "${replicas[@]}" > "$DIR/nginx/rasa_servers.conf"
ACTION_SERVERS="$action_servers" USER_LINE="$user_line" \
NGINX_DIR="$DIR/nginx" CLUSTER_PORT="$CLUSTER_PORT" WEB_PORT="$WEB_PORT" \
  "$PY" -c 'import os,re,sys; sys.stdout.write(re.sub(r"\$\{([A-Z_]+)\}", lambda m: os.environ[m.group(1)], open(sys.argv[1]).read()))' \
  deploy/local/nginx.conf.template > "$DIR/nginx/nginx.conf"
nginx -t -q -p "$DIR/nginx" -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf"
if running "$DIR/nginx/nginx.pid"; then
  nginx -p "$DIR/nginx" -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf" -s reload
else
  nginx -p "$DIR/nginx" -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf"
fi

# Wait until every replica has loaded its model.
wait_http() {  # url, name
  for _ in $(seq 1 360); do
    if "$PY" -c 'import sys,urllib.request as u; u.urlopen(sys.argv[1], timeout=2)' "$1" 2>/dev/null; then return 0; fi
    if [ -n "${2:-}" ] && ! running "$DIR/run/$2.pid"; then
      echo "cluster_up: $2 exited; see $DIR/logs/$2.log" >&2; tail -20 "$DIR/logs/$2.log" >&2; return 1
    fi
    sleep 0.5
  done
  echo "cluster_up: $1 not up" >&2; return 1
}
for i in $(seq 1 "$ACTION_REPLICAS"); do wait_http "http://127.0.0.1:$((ACTIONS_BASE_PORT + i))/health" "actions$i"; done
for i in $(seq 1 "$RASA_REPLICAS"); do wait_http "http://127.0.0.1:$((RASA_BASE_PORT + i))/status?token=$RASA_AUTH_TOKEN" "rasa$i"; done
wait_http "http://127.0.0.1:$CLUSTER_PORT/config.json" web
# Readiness decides nginx's rotation (a replica that is not ready leaves it, and rejoins
# when it is ready again): bot/cluster/upstream_watch.py, log in $DIR/logs/watch.log.
watch_args=(); for replica in "${replicas[@]}"; do watch_args+=(--replica "$replica"); done
start watch "$DIR/logs/watch.log" "$PY" -m bot.cluster.upstream_watch \
  --servers-file "$DIR/nginx/rasa_servers.conf" --nginx-prefix "$DIR/nginx" "${watch_args[@]}"
echo "Cluster up: $RASA_REPLICAS Rasa replicas, $ACTION_REPLICAS action servers behind nginx."
echo "  chat page:  $ORIGIN/"
echo "  REST:       curl -s -XPOST $ORIGIN/webhooks/rest/webhook -H 'Content-Type: application/json' -d '{\"sender\":\"me\",\"message\":\"hi\"}'"
echo "  API token:  in $DIR/secrets.env (RASA_AUTH_TOKEN); logs in $DIR/logs/; stop: make cluster-down"
