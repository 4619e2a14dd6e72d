#!/usr/bin/env bash
# Known vulnerabilities in the pinned dependencies (requirements.lock), with pip-audit.
# pip-audit lives in its own venv under build/ so the locked .venv is never touched.
# Needs network access to PyPI's JSON API (or OSV with AUDIT_SERVICE=osv).
# Findings and what they mean for this bot: docs/security.md.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=build/audit-venv
PIP_AUDIT_VERSION="${PIP_AUDIT_VERSION:-2.9.0}"
if [ ! -x "$VENV/bin/pip-audit" ]; then
  PY310=$(scripts/find_python310.sh)
  "$PY310" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "pip-audit==$PIP_AUDIT_VERSION"
fi
mkdir -p results
# --no-deps --disable-pip: audit exactly the pins, without resolving them again.
"$VENV/bin/pip-audit" -r requirements.lock --no-deps --disable-pip \
  --vulnerability-service "${AUDIT_SERVICE:-pypi}" --progress-spinner off \
  --desc on --format columns "$@" | tee results/audit.txt
packages=$(grep -cE '^[A-Za-z0-9_.-]+==' requirements.lock)
skipped=$(grep -c 'could not be audited' results/audit.txt || true)
if [ "$skipped" -ge "$packages" ]; then
  echo "audit: no vulnerability data could be fetched for any of the $packages pins" \
       "(PyPI's JSON API or OSV unreachable); nothing was checked" >&2
  exit 3
fi
