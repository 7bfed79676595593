"""Benchmark 3: what publishing costs the code that changes station data.

- A save: a Program's title changed and saved in its own transaction, on a station with 3
  push webhooks watching programs, against the same save on a station with none. The time
  runs until the commit, so it includes announcing the work (webhooks.queueing: a NOTIFY
  on PostgreSQL; no task is written, which is checked). Interleaved in this process;
  median per save; target <= 2x. The statements of each are counted on one more save.
- Bulk paths must not cost a query per row: queries of an admin-style bulk soft delete
  (`QuerySet.delete()` in `change_batch()`, as the admin runs it) of N programs with 3
  webhooks, and of the Manual Resync job for N programs, for N = 10 and N = 1,000. The
  transaction's queries must be the same for both.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stationhooks_bench_x \\
        .venv/bin/python -m bench.publish_cost
"""

import statistics
import time
from datetime import UTC, datetime, timedelta

from bench import harness

harness.setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_q.models import OrmQ  # noqa: E402

from stations.changes import change_batch  # noqa: E402
from stations.models import Program, Station  # noqa: E402
from webhooks.event_types import PUSH  # noqa: E402
from webhooks.models import ResyncJob, Webhook  # noqa: E402
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
            event_type=PUSH.name,
            models=["program"],
        )
    return station


def timed_save(program: Program, title: str) -> float:
    """Seconds until the save's transaction has committed."""
    started = time.perf_counter()
    with transaction.atomic():
        program.title = title
        program.save()
    return time.perf_counter() - started


def save_cost() -> dict[str, float]:
    """Median seconds per save with no webhook and with WEBHOOKS, interleaved, and the
    statements each runs until its commit."""
    watched = Program.objects.create(station=new_station(WEBHOOKS), title="Morning")
    unwatched = Program.objects.create(station=new_station(0), title="Morning")
    samples = {"unwatched": [], "watched": []}
    deadline = time.monotonic() + TIME_LIMIT_S
    for n in range(WARMUP_SAVES + SAVES):
        if time.monotonic() > deadline:
            break
        timed = {
            "unwatched": timed_save(unwatched, f"Morning {n}"),
            "watched": timed_save(watched, f"Morning {n}"),
        }
        if n >= WARMUP_SAVES:
            for name, seconds in timed.items():
                samples[name].append(seconds)
    assert not OrmQ.objects.exists(), "publishing wrote a task"
    statements = {}
    for name, program in (("unwatched", unwatched), ("watched", watched)):
        with CaptureQueriesContext(connection) as captured:
            timed_save(program, "Evening")
        statements[name] = len(captured)
    return {name: statistics.median(times) for name, times in samples.items()} | {
        "saves": len(samples["unwatched"]),
        "statements": statements,
    }


def queries_of(action, *, in_transaction: bool) -> int:
    """Queries of `action`. `in_transaction` runs it in one transaction and counts the
    queries until its commit."""
    committed = []
    with CaptureQueriesContext(connection) as captured:
        if in_transaction:
            with transaction.atomic():
                transaction.on_commit(lambda: committed.append(len(captured)))
                action()
        else:
            action()
    assert not OrmQ.objects.exists(), "publishing wrote a task"
    return committed[0] if committed else len(captured)


def bulk_delete_queries(count: int) -> int:
    station = new_station(WEBHOOKS)
    programs = Program.objects.bulk_create(
        Program(station=station, title=f"Program {n}") for n in range(count)
    )
    ids = [program.pk for program in programs]

    def delete() -> None:
        with change_batch():
            assert Program.objects.filter(pk__in=ids).delete() == count

    return queries_of(delete, in_transaction=True)


def resync_queries(count: int) -> int:
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


def query_row(label: str, counts: dict[int, int]) -> harness.Row:
    """Queries for N=10 and N=1,000: the same."""
    small, large = counts[BULK_SIZES[0]], counts[BULK_SIZES[1]]
    return harness.Row(
        label,
        f"{small} queries (N={BULK_SIZES[0]:,})",
        f"{large} queries (N={BULK_SIZES[1]:,})",
        f"{large / small:.2f}",
        "the same",
        harness.verdict(large == small),
    )


def run() -> list[harness.Row]:
    cost = save_cost()
    ratio = cost["watched"] / cost["unwatched"]
    statements = cost["statements"]
    return [
        harness.Row(
            f"3. save in a transaction, work announced, until commit: {WEBHOOKS} webhooks vs none",
            f"{cost['unwatched'] * 1000:.2f} ms (no webhook, {statements['unwatched']} statements)",
            f"{cost['watched'] * 1000:.2f} ms ({WEBHOOKS} webhooks, "
            f"{statements['watched']} statements)",
            f"{ratio:.2f}",
            f"<= {TARGET_RATIO:g}",
            harness.verdict(ratio <= TARGET_RATIO),
        ),
        query_row(
            f"3. bulk soft delete, {WEBHOOKS} webhooks: queries until commit",
            {n: bulk_delete_queries(n) for n in BULK_SIZES},
        ),
        query_row("3. resync job: all its queries", {n: resync_queries(n) for n in BULK_SIZES}),
    ]


def main() -> None:
    harness.run_and_report(run, harness.arguments(__doc__).parse_args())


if __name__ == "__main__":
    main()
