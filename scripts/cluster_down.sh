#!/usr/bin/env bash
# Stop the local cluster started by scripts/cluster_up.sh (data stays in $CLUSTER_DIR).
set -uo pipefail
cd "$(dirname "$0")/.."
DIR="${CLUSTER_DIR:-var/cluster}"
[ -d "$DIR" ] || { echo "cluster_down: no $DIR"; exit 0; }
DIR="$(cd "$DIR" && pwd)"
if [ -f "$DIR/nginx/nginx.pid" ] && kill -0 "$(cat "$DIR/nginx/nginx.pid")" 2>/dev/null; then
  nginx -p "$DIR/nginx" -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf" -s quit
fi
pids=()
for pidfile in "$DIR"/run/watch.pid "$DIR"/run/rasa*.pid "$DIR"/run/actions*.pid "$DIR"/run/web.pid; do
  [ -f "$pidfile" ] || continue
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  rm -f "$pidfile"
done
for pid in "${pids[@]}"; do
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
done
if [ -f "$DIR/run/redis.pid" ]; then
  pid="$(cat "$DIR/run/redis.pid")"; kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  rm -f "$DIR/run/redis.pid"
fi
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -f "$DIR/pg/postmaster.pid" ] && [ -n "$PG_BIN" ]; then
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null
  else "$PG_BIN/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null; fi
fi
for _ in $(seq 1 20); do [ -f "$DIR/nginx/nginx.pid" ] || break; sleep 0.25; done
echo "Cluster stopped (data kept in $DIR)."
