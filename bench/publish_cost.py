"""Benchmark 3: what publishing costs the code that changes station data.

- A save: a Program's title changed and saved in its own transaction, on a station with 3
  push webhooks watching programs, against the same save on a station with none. Both run
  interleaved in this process; the time of each includes the commit and the work queued
  after it (the ORM broker's insert). Median per save; target <= 2x.
- Bulk paths must not cost a query per row: queries of an admin-style bulk soft delete
  (`QuerySet.delete()` in `change_batch()`, as the admin runs it) of N programs with 3
  webhooks, and of the Manual Resync job for N programs, for N = 10 and N = 1,000. The
  transaction's queries must be the same for both; the tasks queued after commit (one per
  100 deliveries, or one per resync chunk) are shown beside them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stationhooks_bench_x \\
        .venv/bin/python -m bench.publish_cost
"""

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench import harness

harness.setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_q.models import OrmQ  # noqa: E402

from stations.models import Program, Station  # noqa: E402
from webhooks.choices import Trigger  # noqa: E402
from webhooks.models import ResyncJob, Webhook  # noqa: E402
from webhooks.push import change_batch  # noqa: E402
from webhooks.resync import run_resync  # noqa: E402

SAVES = 1_000
WARMUP_SAVES = 50
TIME_LIMIT_S = 60
WEBHOOKS = 3
TARGET_RATIO = 2.0
BULK_SIZES = (10, 1_000)


def new_station(webhooks: int) -> Station:
    station = Station.objects.create(name=f"Bench {webhooks} webhooks")
    for n in range(webhooks):
        Webhook.objects.create(
            station=station,
            name=f"Receiver {n}",
            url=f"http://127.0.0.1:9/push-{n}",
            trigger=Trigger.PUSH,
            models=["program"],
        )
    return station


def timed_save(program: Program, title: str) -> tuple[float, float]:
    """Seconds until the commit, and until the work queued after it is queued."""
    committed = []
    started = time.perf_counter()
    with transaction.atomic():
        transaction.on_commit(lambda: committed.append(time.perf_counter()))
        program.title = title
        program.save()
    return committed[0] - started, time.perf_counter() - started


def save_cost() -> dict[str, float]:
    """Median seconds per save, until commit and until queued, with 3 webhooks and none."""
    watched = Program.objects.create(station=new_station(WEBHOOKS), title="Morning")
    unwatched = Program.objects.create(station=new_station(0), title="Morning")
    samples = {"watched": [], "unwatched": []}
    deadline = time.monotonic() + TIME_LIMIT_S
    for n in range(WARMUP_SAVES + SAVES):
        if time.monotonic() > deadline:
            break
        order = [("watched", watched), ("unwatched", unwatched)]
        for name, program in order if n % 2 else reversed(order):
            timed = timed_save(program, f"Morning {n}")
            if n >= WARMUP_SAVES:
                samples[name].append(timed)
    return {
        f"{name} {part}": statistics.median(s[index] for s in timed)
        for name, timed in samples.items()
        for index, part in enumerate(("commit", "queued"))
    } | {"saves": len(samples["watched"])}


def queries_of(action, *, in_transaction: bool) -> tuple[int, int]:
    """(queries, tasks queued) of `action`. `in_transaction` runs it in one transaction
    and counts the queries until its commit, not those of the work queued after it."""
    committed = []
    queued_before = OrmQ.objects.count()
    with CaptureQueriesContext(connection) as captured:
        if in_transaction:
            with transaction.atomic():
                transaction.on_commit(lambda: committed.append(len(captured)))
                action()
        else:
            action()
    return (committed[0] if committed else len(captured)), OrmQ.objects.count() - queued_before


def bulk_delete_queries(count: int) -> tuple[int, int]:
    station = new_station(WEBHOOKS)
    programs = Program.objects.bulk_create(
        Program(station=station, title=f"Program {n}") for n in range(count)
    )
    ids = [program.pk for program in programs]

    def delete() -> None:
        with change_batch():
            assert Program.objects.filter(pk__in=ids).delete() == count

    return queries_of(delete, in_transaction=True)


def resync_queries(count: int) -> tuple[int, int]:
    station = new_station(1)
    Program.objects.bulk_create(
        Program(station=station, title=f"Program {n}") for n in range(count)
    )
    job = ResyncJob.objects.create(
        webhook=station.webhooks.get(),
        started_by=get_user_model().objects.create_user(f"bench-{time.time_ns()}"),
        window_start=datetime(2026, 1, 1, tzinfo=UTC),
        window_end=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=7),
    )
    queries = queries_of(lambda: run_resync(job.pk), in_transaction=False)
    job.refresh_from_db()
    assert job.sent == count, (job.sent, count)
    return queries


def query_row(label: str, counts: dict[int, tuple[int, int]]) -> harness.Row:
    (small, small_tasks), (large, large_tasks) = counts[BULK_SIZES[0]], counts[BULK_SIZES[1]]
    return harness.Row(
        label,
        f"{small} queries, {small_tasks} tasks (N={BULK_SIZES[0]:,})",
        f"{large} queries, {large_tasks} tasks (N={BULK_SIZES[1]:,})",
        f"{large / small:.2f}",
        "same queries",
        harness.verdict(large == small),
    )


def run() -> list[harness.Row]:
    cost = save_cost()
    commit_ratio = cost["watched commit"] / cost["unwatched commit"]
    queued_ratio = cost["watched queued"] / cost["unwatched queued"]
    return [
        harness.Row(
            f"3. save in a transaction until commit, {WEBHOOKS} webhooks vs none",
            f"{cost['unwatched commit'] * 1000:.2f} ms (no webhook)",
            f"{cost['watched commit'] * 1000:.2f} ms ({WEBHOOKS} webhooks)",
            f"{commit_ratio:.2f}",
            f"<= {TARGET_RATIO:g}",
            harness.verdict(commit_ratio <= TARGET_RATIO),
        ),
        harness.Row(
            "3. same, plus queueing the work after commit",
            f"{cost['unwatched queued'] * 1000:.2f} ms (nothing to queue)",
            f"{cost['watched queued'] * 1000:.2f} ms (1 task, ORM broker)",
            f"{queued_ratio:.2f}",
            "-",
            harness.verdict(None),
        ),
        query_row(
            f"3. bulk soft delete, {WEBHOOKS} webhooks: queries until commit",
            {n: bulk_delete_queries(n) for n in BULK_SIZES},
        ),
        query_row("3. resync job: all its queries", {n: resync_queries(n) for n in BULK_SIZES}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the rows to this file (bench/run.py)")
    args = parser.parse_args()
    harness.migrate()
    rows = run()
    harness.print_table(rows)
    if args.json:
        harness.write_rows(rows, args.json)


if __name__ == "__main__":
    main()
