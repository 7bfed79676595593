#!/usr/bin/env bash
# `make run`: set up (venv, install, migrate, demo data, admin user) and start the web
# server and the django-q2 worker together on 127.0.0.1:8000. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements.txt
export DEBUG="${DEBUG:-1}"
export WEBHOOKS_ALLOW_PRIVATE_TARGETS="${WEBHOOKS_ALLOW_PRIVATE_TARGETS:-1}"
mkdir -p var
py=.venv/bin/python
$py manage.py migrate --noinput
$py manage.py load_demo_data
$py manage.py ensure_admin

# The worker runs in its own session so the terminal's Ctrl-C reaches only this script,
# which then stops it with one SIGTERM to its main process (django-q2 stops its children;
# a signal to every child at once can leave its shutdown hanging).
pids=()
# Ctrl-C (or a TERM) is the normal way to stop: it ends the script with status 0, so
# `make run` does not report "Error 130".
stop() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap 'stop; exit 0' INT TERM
trap stop EXIT
setsid $py manage.py qcluster & pids+=($!)
$py manage.py runserver "${BIND:-127.0.0.1:8000}" --noreload & pids+=($!)
echo "StationHooks is running: http://${BIND:-127.0.0.1:8000}/admin/ (Ctrl-C stops web and worker)"
wait -n "${pids[@]}"
