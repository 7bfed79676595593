"""`make bench`: every benchmark, each in a fresh process on a fresh throwaway PostgreSQL
database, then one table of all their rows.

A migrated template database (`stationhooks_bench_<pid>_template`) is cloned for each
benchmark and every database is dropped at the end; SQLITE_BENCHMARKS run again on a
migrated SQLite file in a temporary directory. Each benchmark is a module of this
package with a `--json PATH` option that writes its rows; to add one, write the module and
list it in BENCHMARKS.

    .venv/bin/python -m bench.run [--only NAME ...] [--keep]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from bench import harness

# (module, seconds it may take at most); the total stays near 16 minutes.
BENCHMARKS = [
    ("delivery_throughput", 300),
    ("publish_latency", 420),
    ("publish_cost", 180),
    ("resync_scale", 300),
    ("admin_scale", 300),
    ("inbound_hook", 200),
    ("isolation", 540),
]
# Run again on a SQLite file (the embedded default of `make run`), their figures alongside.
SQLITE_BENCHMARKS = [("delivery_throughput", 240)]
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
TOTAL_TIMEOUT_S = 25 * 60
RESULTS = harness.PROJECT_DIR / "var" / "bench-latest.md"


def admin_sql(statement: str) -> None:
    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def database_url(name: str) -> str:
    return f"{POSTGRES_URL}/{name}"


def run_benchmark(name: str, url: str, timeout_s: float, out: Path) -> list[harness.Row]:
    print(f"\n=== bench.{name} (on {url}) ===", flush=True)
    started = time.monotonic()
    try:
        subprocess.run(
            [sys.executable, "-m", f"bench.{name}", "--json", str(out)],
            cwd=harness.PROJECT_DIR,
            env=harness.bench_env(DATABASE_URL=url),
            check=True,
            timeout=timeout_s,
        )
        return harness.read_rows(str(out))
    except subprocess.TimeoutExpired:
        problem = f"stopped after {timeout_s:.0f} s"
    except subprocess.CalledProcessError as error:
        problem = f"exited with {error.returncode}"
    finally:
        print(f"=== bench.{name}: {time.monotonic() - started:.0f} s ===", flush=True)
    return [harness.Row(f"{name} did not finish", "", problem, "", "", harness.verdict(False))]


def migrate(url: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=harness.PROJECT_DIR,
        env=harness.bench_env(DATABASE_URL=url),
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [name for name, _ in BENCHMARKS]
    parser.add_argument("--only", nargs="+", choices=names, help="run only these")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args()

    started = time.monotonic()
    template = f"{harness.BENCH_DB_PREFIX}{os.getpid()}_template"
    databases = [template] + [f"{template.removesuffix('_template')}_{n}" for n in names]
    tmp = Path(tempfile.mkdtemp(prefix="stationhooks-bench-"))
    rows: list[harness.Row] = []
    admin_sql(f'CREATE DATABASE "{template}"')
    try:
        migrate(database_url(template))
        for name, timeout_s in BENCHMARKS:
            if args.only and name not in args.only:
                continue
            database = f"{template.removesuffix('_template')}_{name}"
            admin_sql(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
            left_s = TOTAL_TIMEOUT_S - (time.monotonic() - started)
            url = database_url(database)
            rows += run_benchmark(name, url, min(timeout_s, left_s), tmp / f"{name}.json")
        for name, timeout_s in SQLITE_BENCHMARKS:
            if args.only and name not in args.only:
                continue
            url = f"sqlite:///{tmp / (template.removesuffix('_template') + '_' + name)}.sqlite3"
            migrate(url)
            left_s = TOTAL_TIMEOUT_S - (time.monotonic() - started)
            out = tmp / f"{name}-sqlite.json"
            rows += run_benchmark(name, url, min(timeout_s, left_s), out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.keep:
            for database in databases:
                admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    minutes = (time.monotonic() - started) / 60
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    header = (
        f"make bench: {minutes:.1f} min on {os.cpu_count()} cores, load average {load}; "
        f"PostgreSQL {POSTGRES_URL}, {time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    print(f"\n{header}\n")
    harness.print_table(rows)
    RESULTS.parent.mkdir(exist_ok=True)
    with open(RESULTS, "w") as results:
        print(f"{header}\n", file=results)
        harness.print_table(rows, file=results)
    failed = sum(row.verdict == "FAIL" for row in rows)
    print(f"\n{failed} of {len(rows)} rows missed their target. Table saved to {RESULTS}.")


if __name__ == "__main__":
    main()
