"""Benchmark 4: Manual Resync of 100,000 items, 5,000 broadcasts and 1,000 programs.

- The admin POST that starts it (Django's test client, logged in, against the bench
  database): its time, against a GET of the same form page as the baseline. Target < 1 s.
- The job itself, in a fresh process that runs only the job as a worker would: time until
  every message is queued (target <= 60 s) against the least a resync must write, a bulk
  insert of as many Event rows; and its peak RSS (VmHWM, target <= 250 MB) against a fresh
  process that only sets Django up and runs one query.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stationhooks_bench_x \\
        .venv/bin/python -m bench.resync_scale
"""

import argparse
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from bench import harness

harness.setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from stations.models import Broadcast, Item, Program, Station  # noqa: E402
from webhooks.event_types import PUSH  # noqa: E402
from webhooks.models import Event, ResyncJob, Webhook  # noqa: E402
from webhooks.resync import run_resync  # noqa: E402

PROGRAMS, BROADCASTS, ITEMS = 1_000, 5_000, 100_000
TOTAL = PROGRAMS + BROADCASTS + ITEMS
WINDOW_START = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW_END = WINDOW_START + timedelta(days=3650)
TARGET_S, TARGET_RSS_MB, TARGET_REQUEST_S = 60, 250, 1.0
JOB_TIMEOUT_S = 300


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


def bulk_insert_s(station: Station) -> float:
    """The least a resync must write: as many Event rows, in one bulk insert."""
    started = time.perf_counter()
    Event.objects.bulk_create(
        (Event(station=station, event_type=PUSH.name, body="{}") for _ in range(TOTAL)),
        batch_size=1_000,
    )
    seconds = time.perf_counter() - started
    Event.objects.filter(station=station).delete()
    return seconds


def admin_start(webhook: Webhook) -> tuple[float, float]:
    """(median seconds of a GET of the resync form, seconds of the POST that starts it)."""
    admin = get_user_model().objects.create_superuser(f"bench-{time.time_ns()}")
    client = Client()
    client.force_login(admin)
    url = reverse("admin:webhooks_webhook_resync") + f"?ids={webhook.pk}"
    gets = []
    for attempt in range(8):
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        if attempt >= 3:
            gets.append(time.perf_counter() - started)
    window = {"window_start": f"{WINDOW_START:%Y-%m-%d %H:%M}"}
    window["window_end"] = f"{WINDOW_END:%Y-%m-%d %H:%M}"
    window["start"] = "Start"  # the form's Start button; without it the POST previews
    started = time.perf_counter()
    response = client.post(url, window)
    post_s = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    return statistics.median(gets), post_s


def in_fresh_process(*args: str) -> tuple[float, float]:
    """Run this module with `args` in a new process; returns (seconds, its peak RSS MB)."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.resync_scale", *args],
        cwd=harness.PROJECT_DIR,
        check=True,
        capture_output=True,
        text=True,
        timeout=JOB_TIMEOUT_S,
    ).stdout.split()
    return float(output[-2]), float(output[-1])


def child_main(args: list[str]) -> None:
    started = time.perf_counter()
    if args[0] == "--run-job":
        run_resync(int(args[1]))
    else:
        Station.objects.exists()
    print(time.perf_counter() - started, harness.peak_rss_mb())


def run() -> list[harness.Row]:
    station = build_station()
    webhook = Webhook.objects.create(
        station=station, name="Bench", url="http://127.0.0.1:9/push", event_type=PUSH.name
    )
    baseline_s = bulk_insert_s(station)
    get_s, post_s = admin_start(webhook)
    job = ResyncJob.objects.get(webhook=webhook)
    _, idle_rss = in_fresh_process("--idle")
    resync_s, job_rss = in_fresh_process("--run-job", str(job.pk))
    job.refresh_from_db()
    queued = job.sent == job.total == TOTAL and job.status == ResyncJob.Status.DONE
    return [
        harness.Row(
            "4. admin POST that starts the resync",
            f"{get_s * 1000:.0f} ms (GET of its form)",
            f"{post_s * 1000:.0f} ms",
            f"{post_s / get_s:.2f}",
            f"< {TARGET_REQUEST_S * 1000:.0f} ms",
            harness.verdict(post_s < TARGET_REQUEST_S),
        ),
        harness.Row(
            f"4. resync until all {TOTAL:,} queued",
            f"{baseline_s:.1f} s (bulk insert of as many events)",
            f"{resync_s:.1f} s; {job.sent:,} of {job.total:,} queued",
            f"{resync_s / baseline_s:.2f}",
            f"<= {TARGET_S} s, all",
            harness.verdict(resync_s <= TARGET_S and queued),
        ),
        harness.Row(
            "4. peak RSS of the process running the job",
            f"{idle_rss:.0f} MB (idle process)",
            f"{job_rss:.0f} MB",
            f"{job_rss / idle_rss:.2f}",
            f"<= {TARGET_RSS_MB} MB",
            harness.verdict(job_rss <= TARGET_RSS_MB),
        ),
    ]


def main() -> None:
    parser = harness.arguments(__doc__)
    parser.add_argument("--run-job", metavar="JOB_ID", help=argparse.SUPPRESS)
    parser.add_argument("--idle", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_job or args.idle:
        child_main(["--run-job", args.run_job] if args.run_job else ["--idle"])
        return
    harness.run_and_report(run, args)


if __name__ == "__main__":
    main()
