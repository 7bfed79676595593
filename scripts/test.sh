#!/usr/bin/env bash
# `make test`: set up the venv and run the whole pytest suite. DATABASE_URL pointing at
# PostgreSQL runs the same suite there (pytest-django creates and drops test_<name>).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements-dev.txt
scripts/ensure_chromium.sh
exec .venv/bin/pytest "$@"
