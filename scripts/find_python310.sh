#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter: python3.10 on PATH, else a pyenv build.
set -euo pipefail
is310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }
for candidate in "$(command -v python3.10 2>/dev/null || true)"; do
  if [ -n "$candidate" ] && is310 "$candidate"; then echo "$candidate"; exit 0; fi
done
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for candidate in "$root"/versions/3.10*/bin/python3.10; do
    if [ -x "$candidate" ] && is310 "$candidate"; then echo "$candidate"; exit 0; fi
  done
fi
for candidate in "$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
  if [ -x "$candidate" ] && is310 "$candidate"; then echo "$candidate"; exit 0; fi
done
echo "error: Python 3.10 is required (Rasa 3.6 supports 3.8 to 3.10) and none was found." >&2
echo "Install it, e.g. 'pyenv install 3.10.13' or your system's python3.10 package with venv support, then run make again." >&2
exit 1
