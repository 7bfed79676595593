#!/usr/bin/env bash
# Create .venv and install the pinned requirements; skipped when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements="${1:-requirements.txt}"
python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=".venv/.installed-$(basename "$requirements")"
digest=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  echo "$digest" > "$stamp"
fi
