#!/bin/sh
# Start Rasa with the baked-in model. Refuses to start without a real API token or
# with a placeholder, without an explicit CORS origin (never "*"), and without a real
# BOT_SESSION_SECRET (every replica must sign the chat page's conversation ids alike).
set -eu
case "${RASA_AUTH_TOKEN:-}" in
  ""|__*|rasaToken|changeme|CHANGE*) echo "RASA_AUTH_TOKEN is missing or a placeholder" >&2; exit 1 ;;
esac
case "${WEB_ORIGIN:-}" in
  ""|"*"|*"*"*) echo "WEB_ORIGIN must be the chat page's exact origin" >&2; exit 1 ;;
esac
case "${BOT_SESSION_SECRET:-}" in
  ""|__*) echo "BOT_SESSION_SECRET is missing or a placeholder" >&2; exit 1 ;;
esac
if [ "${#BOT_SESSION_SECRET}" -lt 32 ]; then
  echo "BOT_SESSION_SECRET must be at least 32 characters" >&2; exit 1
fi
# WEB_ORIGIN and ALLOWED_ORIGINS (sites embedding the widget): Rasa's CORS and the
# socket.io channel allow exactly these (bot/web/origins.py; a bad entry stops here).
CORS_ORIGINS="$(python -m bot.web.origins)"
# Channels whose ${VARS} are all set (docs/channels.md); secrets stay in the environment.
python -m bot.channels.credentials --out /tmp/credentials.yml
exec python -m rasa run --model "models/$(cat models/current)" \
  --enable-api --auth-token "$RASA_AUTH_TOKEN" \
  --interface 0.0.0.0 --port "${RASA_PORT:-5005}" \
  --endpoints "${RASA_ENDPOINTS:-/etc/heavylegs/endpoints.yml}" \
  --credentials /tmp/credentials.yml --cors $CORS_ORIGINS "$@"
