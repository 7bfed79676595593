"""Manual Resync at scale: 100,000 items, 5,000 broadcasts, 1,000 programs on PostgreSQL.

Prints a table: time until every message is queued and peak RSS of a fresh process that
runs only the job (as a worker would); baselines from the same run: the time of a bare bulk
insert of as many Event rows (the least a resync must write) and the peak RSS of a fresh
process that only sets Django up and runs one query.

Needs a throwaway PostgreSQL database (it fills it and leaves it):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stationhooks_bench \
        .venv/bin/python bench/resync_scale.py
"""

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench")
os.environ.setdefault("WEBHOOKS_ALLOW_PRIVATE_TARGETS", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from stations.models import Broadcast, Item, Program, Station  # noqa: E402
from webhooks.choices import Trigger  # noqa: E402
from webhooks.models import Event, ResyncJob, Webhook  # noqa: E402
from webhooks.resync import run_resync  # noqa: E402

PROGRAMS, BROADCASTS, ITEMS = 1_000, 5_000, 100_000
WINDOW_START = datetime(2026, 1, 1, tzinfo=UTC)


def peak_rss_mb() -> float:
    """VmHWM: this process's peak resident set (ru_maxrss would carry the parent's peak
    across fork + exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def in_fresh_process(*args: str) -> tuple[float, float]:
    """Run this script with `args` in a new process; returns (seconds, its peak RSS MB)."""
    output = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(output[-2]), float(output[-1])


def child_main(args: list[str]) -> None:
    started = time.perf_counter()
    if args[0] == "--run-job":
        run_resync(int(args[1]))
    else:
        Station.objects.exists()
    print(time.perf_counter() - started, peak_rss_mb())


def build_station() -> Station:
    station = Station.objects.create(name="Bench FM")
    programs = Program.objects.bulk_create(
        Program(station=station, title=f"Program {n}") for n in range(PROGRAMS)
    )
    broadcasts = Broadcast.objects.bulk_create(
        Broadcast(
            station=station,
            program=programs[n % PROGRAMS],
            title=f"Broadcast {n}",
            start=WINDOW_START + timedelta(hours=n),
            stop=WINDOW_START + timedelta(hours=n + 1),
        )
        for n in range(BROADCASTS)
    )
    Item.objects.bulk_create(
        (
            Item(
                station=station,
                broadcast=broadcasts[n % BROADCASTS],
                title=f"Item {n}",
                duration=180,
                start=WINDOW_START + timedelta(minutes=n),
            )
            for n in range(ITEMS)
        ),
        batch_size=5_000,
    )
    return station


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run on PostgreSQL: set DATABASE_URL.")
    call_command("migrate", verbosity=0)
    station = build_station()
    user = get_user_model().objects.create_user(f"bench{time.time_ns()}")
    webhook = Webhook.objects.create(
        station=station, name="Bench", url="http://127.0.0.1:9/push", trigger=Trigger.PUSH
    )
    total = PROGRAMS + BROADCASTS + ITEMS

    started = time.perf_counter()
    Event.objects.bulk_create(
        (Event(station=station, type=Trigger.PUSH, body="{}") for _ in range(total)),
        batch_size=1_000,
    )
    baseline_s = time.perf_counter() - started
    Event.objects.filter(station=station).delete()

    _, idle_rss = in_fresh_process("--idle")
    job = ResyncJob.objects.create(
        webhook=webhook,
        started_by=user,
        window_start=WINDOW_START,
        window_end=WINDOW_START + timedelta(days=3650),
    )
    resync_s, job_rss = in_fresh_process("--run-job", str(job.pk))
    job.refresh_from_db()

    print(f"{'measure':<42}{'value':>12}")
    print(f"{'messages queued':<42}{job.sent:>12,}")
    print(f"{'baseline: bulk insert of as many events (s)':<42}{baseline_s:>12.1f}")
    print(f"{'resync until all queued (s), target <= 60':<42}{resync_s:>12.1f}")
    print(f"{'resync / baseline':<42}{resync_s / baseline_s:>12.2f}")
    print(f"{'baseline: peak RSS, idle process (MB)':<42}{idle_rss:>12.0f}")
    print(f"{'peak RSS of the job process (MB), <= 250':<42}{job_rss:>12.0f}")
    assert job.sent == job.total == total, (job.sent, job.total)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        child_main(sys.argv[1:])
    else:
        main()
