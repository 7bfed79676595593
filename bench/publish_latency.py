"""Benchmark 2: publish -> receive latency at a steady 200 changes/s for 30 s.

Publishers (separate processes, 100 changes/s each; behind schedule they run flat out,
for at most twice the planned time, and the rate they achieved is reported) change a
Program's title in its own transaction, with one push webhook on the station, and record
the commit time of each message (an on_commit callback registered before the save runs
first after COMMIT) and its id (as the model generates it: no query). A receiver process
(bench/receiver.py) records when each `webhook-id` arrived. The latency of a message is
arrival - commit; p50 and p99 over every message published, a message that never arrived
counting as infinitely late. A real `qcluster` (Q_WORKERS=2, default settings) delivers,
with the ORM broker (the default), then with Redis (redis://127.0.0.1:6379/14, flushed
first), then with the ORM broker at half the rate, below the point where this 2-core
machine saturates. The CPU time the publishers, the cluster and PostgreSQL's backends use
per message is reported too, against the budget the two cores leave at the rate asked.

The baseline, in the same run: a bare client (bench/bare_client.py) hitting the same
receiver directly at the same rate; its latency is arrival - the moment before it sent.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stationhooks_bench_x \\
        .venv/bin/python -m bench.publish_latency [--rate 200]
"""

import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import harness

harness.setup_django()

from django.db import connection, transaction  # noqa: E402
from django_q.models import OrmQ  # noqa: E402

from stations.models import Program, Station  # noqa: E402
from webhooks.choices import DeliveryStatus  # noqa: E402
from webhooks.event_types import PUSH  # noqa: E402
from webhooks.models import Delivery, Event, Webhook  # noqa: E402

RATE = 200
DURATION_S = 30
PUBLISHERS = 2
PROGRAMS = 100
WARMUP_SAVES = 10
SETTLE_TIMEOUT_S = 60
REDIS_URL = "redis://127.0.0.1:6379/14"
TARGET_P50_S = 0.150
TARGET_P99_S = 1.0


# --- in a publisher process -------------------------------------------------------------


def record_message_ids() -> list[str]:
    """Wrap Event.message_id's default so the ids this process generates are listed as
    they are made: knowing each message's id costs the publisher no query."""
    field = Event._meta.get_field("message_id")
    generate, made = field.default, []

    def recorded() -> str:
        made.append(generate())
        return made[-1]

    field.default = recorded
    field.__dict__.pop("_get_default", None)  # Django caches the default's callable
    return made


def publish_paced(station_id: int, offset: int, rate: float, duration_s: float, out: str) -> None:
    """Change this publisher's programs at `rate`/s; write "<message id> <commit time>"."""
    programs = list(Program.objects.filter(station_id=station_id).order_by("pk"))[
        offset::PUBLISHERS
    ]
    message_ids = record_message_ids()
    for n in range(WARMUP_SAVES):
        programs[n % len(programs)].title = f"Warm-up {n}"
        programs[n % len(programs)].save()
    print("ready", flush=True)
    sys.stdin.readline()
    committed: list[tuple[str, float]] = []
    start = time.monotonic() + offset / (rate * PUBLISHERS)
    for n in harness.paced(rate, duration_s, start=start):
        program = programs[n % len(programs)]
        commit_times: list[float] = []
        with transaction.atomic():
            transaction.on_commit(lambda times=commit_times: times.append(time.time()))
            program.title = f"Title {offset}-{n}"
            program.save()
        committed.append((message_ids[-1], commit_times[0]))
    elapsed = time.monotonic() - start
    Path(out).write_text("".join(f"{mid} {at}\n" for mid, at in committed))
    print(len(committed), elapsed, flush=True)
    sys.stdin.readline()  # stay, with its database connection, until CPU time is read


# --- in the benchmark process ------------------------------------------------------------


def read_times(path: Path) -> dict[str, float]:
    """First time per id from "<id> <time>" lines."""
    times: dict[str, float] = {}
    for line in path.read_text().splitlines():
        key, at = line.split()
        times.setdefault(key, float(at))
    return times


def latencies(sent: dict[str, float], arrived: dict[str, float]) -> list[float]:
    return [arrived.get(key, math.inf) - at for key, at in sent.items()]


def bare_client(receiver_url: str, rate: float, tmp: Path) -> list[float]:
    sent = tmp / "bare-sent.txt"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.bare_client",
            "paced",
            receiver_url,
            str(rate),
            str(DURATION_S),
            str(sent),
        ],
        cwd=harness.PROJECT_DIR,
        check=True,
        timeout=DURATION_S + 60,
    )
    time.sleep(0.5)
    return latencies(read_times(sent), read_times(tmp / "arrived.txt"))


def through_engine(
    receiver_url: str, broker: str, rate: float, tmp: Path
) -> tuple[list[float], float, dict[str, float]]:
    """Latencies of `rate` changes/s for DURATION_S through a cluster on `broker`, the
    rate the publishers achieved, and the CPU seconds per message of the publishers, the
    cluster and PostgreSQL's backends."""
    run = f"{broker}-{rate:.0f}"
    station = Station.objects.create(name=f"Latency {run}")
    webhook = Webhook.objects.create(
        station=station, name=run, url=f"{receiver_url}/{run}", event_type=PUSH.name
    )
    Program.objects.bulk_create(
        Program(station=station, title=f"Program {n}") for n in range(PROGRAMS)
    )
    extra = {}
    if broker == "redis":
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        extra["REDIS_URL"] = REDIS_URL
    cluster = harness.start_cluster(workers=2, log_path=tmp / f"cluster-{run}.log", **extra)
    publishers = []
    try:
        for offset in range(PUBLISHERS):
            publishers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "bench.publish_latency",
                        "--publisher",
                        str(station.pk),
                        str(offset),
                        str(rate / PUBLISHERS),
                        str(tmp / f"{run}-{offset}.txt"),
                    ],
                    cwd=harness.PROJECT_DIR,
                    env=harness.bench_env(**extra),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        for publisher in publishers:
            if publisher.stdout.readline().strip() != "ready":
                sys.exit("A publisher did not start.")
        if not harness.wait_for(lambda: not pending(webhook), SETTLE_TIMEOUT_S):
            sys.exit(f"The {run} cluster did not deliver the warm-up; see {tmp}.")
        groups = {
            "publishers": [p.pid for p in publishers],
            "cluster": harness.cluster_pids(cluster),
            "PostgreSQL": harness.postgres_backend_pids(),
        }
        cpu_before = {name: harness.cpu_seconds(pids) for name, pids in groups.items()}
        tasks_before = orm_tasks_queued()
        for publisher in publishers:
            publisher.stdin.write("go\n")
            publisher.stdin.flush()
        outputs = [p.stdout.readline().split() for p in publishers]
        harness.wait_for(lambda: not pending(webhook), SETTLE_TIMEOUT_S, 0.5)
        cpu = {name: harness.cpu_seconds(pids) - cpu_before[name] for name, pids in groups.items()}
        time.sleep(1)  # PostgreSQL's statistics lag by up to a second
        tasks = orm_tasks_queued() - tasks_before
        for publisher in publishers:
            publisher.communicate("bye\n", timeout=30)
    finally:
        for publisher in publishers:
            publisher.kill()
        harness.stop_cluster(cluster)
    time.sleep(0.5)
    sent: dict[str, float] = {}
    for offset in range(PUBLISHERS):
        sent |= read_times(tmp / f"{run}-{offset}.txt")
    achieved = sum(int(out[0]) for out in outputs) / max(float(out[1]) for out in outputs)
    cpu_per_message = {name: seconds / len(sent) for name, seconds in cpu.items()}
    return latencies(sent, read_times(tmp / "arrived.txt")), achieved, cpu_per_message, tasks


def orm_tasks_queued() -> int:
    """Rows ever inserted into the ORM broker's queue table (PostgreSQL's statistics)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = %s",
            [OrmQ._meta.db_table],
        )
        return cursor.fetchone()[0]


def pending(webhook: Webhook) -> bool:
    return Delivery.objects.filter(webhook=webhook, status=DeliveryStatus.PENDING).exists()


def ms(seconds: float) -> str:
    return "never" if math.isinf(seconds) else f"{seconds * 1000:,.0f} ms"


def run(rate: float = RATE) -> list[harness.Row]:
    """The target runs (ORM broker at `rate`), Redis at `rate`, and the ORM broker at half
    the rate, to show the latency below saturation."""
    runs = [("orm", rate, True), ("redis", rate, False), ("orm", rate / 2, False)]
    tmp = Path(tempfile.mkdtemp(prefix="stationhooks-bench-latency-"))
    port = harness.free_port()
    receiver = subprocess.Popen(
        [sys.executable, "-m", "bench.receiver", str(port), str(tmp / "arrived.txt")],
        cwd=harness.PROJECT_DIR,
    )
    try:
        harness.wait_for_port(port, 10)
        url = f"http://127.0.0.1:{port}"
        bare = bare_client(f"{url}/bare", rate, tmp)
        measured = [through_engine(url, broker, at, tmp) for broker, at, _ in runs]
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
    shutil.rmtree(tmp)  # kept, with the clusters' logs, only when a step failed

    rows = []
    bare_p50, bare_p99 = harness.percentile(bare, 50), harness.percentile(bare, 99)
    for (broker, asked, targeted), (latency, achieved, cpu, tasks) in zip(
        runs, measured, strict=True
    ):
        p50, p99 = harness.percentile(latency, 50), harness.percentile(latency, 99)
        lost = sum(math.isinf(x) for x in latency)
        name = {"orm": "ORM broker", "redis": "Redis broker"}[broker]
        rows += [
            harness.Row(
                f"2. p50 commit -> receiver, {name}, {asked:.0f}/s asked",
                f"{ms(bare_p50)} (bare client, {rate:.0f}/s)",
                f"{ms(p50)}; {achieved:.0f}/s published, {len(latency):,} sent, {lost} lost",
                f"{p50 / bare_p50:.0f}",
                f"<= {ms(TARGET_P50_S)}" if targeted else "-",
                harness.verdict(p50 <= TARGET_P50_S if targeted else None),
            ),
            harness.Row(
                f"2. p99 commit -> receiver, {name}, {asked:.0f}/s asked",
                f"{ms(bare_p99)} (bare client, {rate:.0f}/s)",
                ms(p99),
                f"{p99 / bare_p99:.0f}",
                f"<= {ms(TARGET_P99_S)}" if targeted else "-",
                harness.verdict(p99 <= TARGET_P99_S if targeted else None),
            ),
            harness.Row(
                f"2. CPU per message, {name}, {asked:.0f}/s asked",
                f"{2000 / asked:.1f} ms (2 cores / rate asked)",
                ", ".join(f"{part} {seconds * 1000:.1f} ms" for part, seconds in cpu.items())
                + (f"; {tasks:,} tasks for {len(latency):,} messages" if broker == "orm" else ""),
                f"{sum(cpu.values()) * asked / 2:.2f}",
                "-",
                harness.verdict(None),
            ),
        ]
    return rows


def main() -> None:
    parser = harness.arguments(__doc__)
    parser.add_argument("--rate", type=float, default=RATE, help="changes/s (default %(default)s)")
    parser.add_argument("--publisher", nargs=4, metavar=("STATION", "OFFSET", "RATE", "OUT"))
    args = parser.parse_args()
    if args.publisher:
        station, offset, rate, out = args.publisher
        publish_paced(int(station), int(offset), float(rate), DURATION_S, out)
        return
    harness.run_and_report(lambda: run(args.rate), args)


if __name__ == "__main__":
    main()
