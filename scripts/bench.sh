#!/usr/bin/env bash
# `make bench`: the benchmarks (bench/README.md), each against a baseline measured in the
# same run, on throwaway PostgreSQL databases; prints one table (~16 minutes).
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) and Redis on
# 127.0.0.1:6379 (both started here when they are not answering), Debian's nginx and wrk
# (installed here when missing; the benchmarks run their own nginx on a free port, and wrk
# against their own gunicorn, on loopback only).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements-dev.txt

as_root=()
[ "$(id -u)" = 0 ] || as_root=(sudo)
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=300 install -y -q nginx-light
fi
if ! command -v wrk >/dev/null; then
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=300 install -y -q wrk
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  "${as_root[@]}" pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi
exec .venv/bin/python -m bench.run "$@"
