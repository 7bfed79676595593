"""What the benchmarks share: table rows, Django against a bench database, real `qcluster`
processes (through the `processes` package the tests use too), a throwaway nginx receiver,
CPU time, peak RSS and percentiles.

Every benchmark runs against a throwaway PostgreSQL database whose name starts with
`stationhooks_bench_` (bench/run.py creates and drops them) and talks only to 127.0.0.1.
"""

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

import processes
from processes import cluster_pids, free_port, wait_for, wait_for_port

__all__ = [
    "BENCH_DB_PREFIX",
    "PROJECT_DIR",
    "Gunicorn",
    "Nginx",
    "Row",
    "arguments",
    "bench_env",
    "cluster_pids",
    "cpu_seconds",
    "database_name",
    "free_port",
    "migrate",
    "paced",
    "peak_rss_mb",
    "percentile",
    "postgres_backend_pids",
    "print_table",
    "py_spy",
    "read_rows",
    "run_and_report",
    "setup_django",
    "start_cluster",
    "stop_cluster",
    "verdict",
    "wait_for",
    "wait_for_port",
    "write_rows",
]

PROJECT_DIR = processes.PROJECT_DIR
BENCH_DB_PREFIX = "stationhooks_bench_"
CLUSTER_STOP_TIMEOUT_S = 30
SERVER_START_TIMEOUT_S = 30


# --- the table --------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the table. Cells are already formatted; `verdict` is pass, FAIL or
    info (a figure reported without a target)."""

    measure: str
    baseline: str
    result: str
    ratio: str
    target: str
    verdict: str


COLUMNS = ("measure", "baseline", "result", "ratio", "target", "pass/fail")


def verdict(passed: bool | None) -> str:
    return "info" if passed is None else "pass" if passed else "FAIL"


def print_table(rows: list[Row], file=sys.stdout) -> None:
    """A Markdown table, so it reads the same in a terminal and in the README."""
    cells = [COLUMNS, *(tuple(asdict(row).values()) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]

    def line(values) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    print(line(COLUMNS), file=file)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|", file=file)
    for values in cells[1:]:
        print(line(values), file=file)


def write_rows(rows: list[Row], path: str) -> None:
    Path(path).write_text(json.dumps([asdict(row) for row in rows]))


def read_rows(path: str) -> list[Row]:
    return [Row(**row) for row in json.loads(Path(path).read_text())]


# --- Django against the bench database ------------------------------------------------


def bench_env(**extra: str) -> dict[str, str]:
    """Environment of every Django process of a benchmark: production settings (no
    DEBUG), the bench database, loopback targets allowed, the ORM broker unless
    `REDIS_URL` is passed in `extra`."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "bench",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def setup_django() -> None:
    """Set Django up in this process on `DATABASE_URL`, which must name a bench database
    (benchmarks fill and mess with it): a PostgreSQL database or a SQLite file whose name
    starts with BENCH_DB_PREFIX."""
    os.environ.update({k: v for k, v in bench_env().items() if k not in os.environ})
    url = os.environ.get("DATABASE_URL", "")
    database = Path(urlsplit(url).path).name
    if not url.startswith(("postgres", "sqlite")) or not database.startswith(BENCH_DB_PREFIX):
        sys.exit(
            f"Set DATABASE_URL to a throwaway PostgreSQL database (or SQLite file) named "
            f"{BENCH_DB_PREFIX}… (or run `make bench`, which creates them)."
        )
    import django

    django.setup()


def database_name() -> str:
    """PostgreSQL or SQLite: what this benchmark process runs on."""
    from django.db import connection

    return "SQLite" if connection.vendor == "sqlite" else "PostgreSQL"


def arguments(doc: str, *, profile: str = "") -> argparse.ArgumentParser:
    """A benchmark's command line: its docstring's first line, `--json PATH` (where
    bench/run.py reads the rows from) and, when `profile` describes it, `--profile DIR`."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--json", help="also write the rows to this file (bench/run.py)")
    if profile:
        parser.add_argument("--profile", type=Path, help=profile)
    return parser


def run_and_report(
    run: Callable[[], list[Row]],
    args: argparse.Namespace,
    profile: Callable[[Path], None] | None = None,
) -> None:
    """Bring the schema up to date, then profile (with `--profile DIR`), or run the
    benchmark, print its rows and write them to `--json PATH` when given."""
    migrate()
    if profile and args.profile:
        profile(args.profile)
        return
    rows = run()
    print_table(rows)
    if args.json:
        write_rows(rows, args.json)


def migrate() -> None:
    """Bring the bench database's schema up to date (a no-op when bench/run.py made it)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- real worker clusters ------------------------------------------------------------


def start_cluster(*, workers: int, log_path: Path, **extra_env: str) -> subprocess.Popen:
    """`manage.py qcluster` with `workers` worker processes on the bench database, default
    delivery settings; its output goes to `log_path`."""
    return processes.start_cluster(
        bench_env(Q_WORKERS=str(workers), **extra_env), log_path=log_path
    )


class Gunicorn:
    """`gunicorn config.wsgi` with `workers` workers on a free 127.0.0.1 port, with the bench
    settings (bench/settings.py: the project's URLs and the reference views), its log in
    `log_path`; entered once its workers answer a POST of `ready` (path, JSON body)."""

    def __init__(self, log_path: Path, *, workers: int, ready: tuple[str, dict]) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.workers = workers
        self.ready = ready
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> "Gunicorn":
        env = bench_env(DJANGO_SETTINGS_MODULE="bench.settings")
        self.process = processes.start_gunicorn(
            env, port=self.port, workers=self.workers, log_path=self.log_path
        )
        wait_for_port(self.port, SERVER_START_TIMEOUT_S)
        self._wait_until_answering()
        return self

    def _wait_until_answering(self) -> None:
        """Until every worker has loaded Django and answers (on a loaded machine that takes
        longer than a warm-up run: it would time out with no answer at all)."""
        path, body = self.ready
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        answered = 0
        while answered < self.workers * 4:
            try:
                answered += requests.post(self.url(path), json=body, timeout=10).ok
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"gunicorn answered {answered} requests in {SERVER_START_TIMEOUT_S} s")

    def __exit__(self, *_exc) -> None:
        stop_cluster(self.process)  # SIGTERM to the master, then the group


def stop_cluster(cluster: subprocess.Popen) -> None:
    """SIGTERM to the main process only (it stops its children), then SIGKILL whatever of
    its process group is left."""
    processes.stop_group(cluster, grace_s=CLUSTER_STOP_TIMEOUT_S)


@contextmanager
def py_spy(pid: int, output: Path, *, rate: int) -> Iterator[None]:
    """py-spy (pinned in requirements-dev.txt) samples `pid` and its subprocesses while the
    block runs, `rate` times a second, the GIL holder only, into `output` as collapsed
    stacks; its own log goes beside it."""
    with open(output.with_suffix(".py-spy.log"), "w") as log:
        spy = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("py-spy")),
                *("record", "--pid", str(pid), "--subprocesses", "--rate", str(rate)),
                *("--format", "raw", "--gil", "--output", str(output)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        time.sleep(1)
        try:
            yield
        finally:
            spy.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
            spy.wait(timeout=60)


# --- a fast receiver: nginx ------------------------------------------------------------


NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format path '$uri $status';
    access_log {dir}/access.log path buffer=256k;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 204; }}
    }}
}}
"""


class Nginx:
    """A throwaway nginx (Debian's) on 127.0.0.1 and a free port, answering 204 to any
    request and logging each request's path. `counts()` after the `with` block tells how
    many requests each path received."""

    def __init__(self) -> None:
        self.binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.dir = Path(tempfile.mkdtemp(prefix="stationhooks-bench-nginx-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> "Nginx":
        if not Path(self.binary).exists():
            sys.exit("nginx is missing: `apt-get install -y nginx-light` (scripts/bench.sh does).")
        conf = self.dir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=self.dir, port=self.port))
        self.process = subprocess.Popen(
            [self.binary, "-p", str(self.dir), "-e", str(self.dir / "error.log"), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, 10)
        return self

    def __exit__(self, *_exc) -> None:
        self.process.send_signal(signal.SIGQUIT)  # graceful: flushes the access log
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def counts(self) -> Counter:
        """Requests per path with a 2xx answer."""
        counted = Counter()
        with open(self.dir / "access.log") as log:
            for line in log:
                path, status = line.split()
                if status.startswith("2"):
                    counted[path] += 1
        return counted

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


# --- measuring ---------------------------------------------------------------------------


def paced(rate: float, duration_s: float, *, start: float) -> Iterator[int]:
    """0, 1, 2 … one every 1/`rate` s from monotonic `start`, for `duration_s`, each once
    its time has come. Behind schedule the loop runs flat out, but not past twice the
    duration."""
    deadline = start + 2 * duration_s
    for n in range(int(rate * duration_s)):
        if (wait := start + n / rate - time.monotonic()) > 0:
            time.sleep(wait)
        elif time.monotonic() > deadline:
            return
        yield n


def peak_rss_mb(pid: int | str = "self") -> float:
    """VmHWM: a process's peak resident set (ru_maxrss would carry a parent's peak across
    fork + exec)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (those gone count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def postgres_backend_pids() -> list[int]:
    """The server processes of this database's connections (this process's too)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return [pid for (pid,) in cursor.fetchall()]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]
