"""Benchmark 1: drain a backlog of 20,000 signed deliveries to nginx.

The engine: a real `manage.py qcluster` with the default settings for 2 cores
(Q_WORKERS=2), warmed up, then 20,000 push messages to one webhook (secret and key)
published in one transaction; the time runs from its commit (when the work is queued)
to the last delivery's `finished_at`. Every delivery must end delivered with one recorded
attempt, and nginx must have answered each one.

The baseline, in the same run: the same bodies POSTed by bare `requests.Session` clients
(keep-alive, both HMAC-SHA256 signatures per request), one per process, as many processes
as worker processes; it runs before and after the engine and counts their mean.

Scale-out: the same backlog drained by a cluster with one worker process.

With a SQLite DATABASE_URL (bench/run.py runs that too: the embedded default of
`make run`) only the 2-worker drain and its baseline run; its rows are information.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stationhooks_bench_x \\
        .venv/bin/python -m bench.delivery_throughput [--profile DIR]

`--profile DIR` records the 2-worker drain with py-spy (`DIR/drain.txt`, collapsed
stacks of every cluster process) and prints the functions that take the most samples.
"""

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import nullcontext
from pathlib import Path

from bench import harness

harness.setup_django()

from django.db import transaction  # noqa: E402
from django.db.models import Max  # noqa: E402

from stations.actors import Actor  # noqa: E402
from stations.models import Station  # noqa: E402
from webhooks.choices import DeliveryStatus  # noqa: E402
from webhooks.event_types import PUSH  # noqa: E402
from webhooks.models import Delivery, DeliveryAttempt, Webhook, new_message_id  # noqa: E402
from webhooks.payloads import encode_body, push_message  # noqa: E402
from webhooks.publish import Draft, publish_batch  # noqa: E402
from webhooks.signing import generate_secret  # noqa: E402

BACKLOG = 20_000
WORKERS = 2
WARMUP = 400
PUBLISH_CHUNK = 1_000
DRAIN_TIMEOUT_S = 180
TARGET_RATIO = 0.75
API_KEY = "bench-api-key-0123456789"


def message_payload(station_id: int, n: int) -> dict:
    return push_message(
        action="update",
        model="program",
        model_id=n,
        job_id=n,
        resync=False,
        station_id=station_id,
        user_id=None,
        api_id=None,
    )


def new_webhook(url: str) -> Webhook:
    """A push webhook with a generated whsec_ secret and a key, on a station of its own."""
    station = Station.objects.create(name=f"Bench {url}")
    return Webhook.objects.create(
        station=station, name=url, url=url, event_type=PUSH.name, key=API_KEY
    )


def publish_backlog(webhook: Webhook, count: int) -> float:
    """Publish `count` messages to `webhook` in one transaction; returns the commit time
    (time.time()), taken by the first on_commit callback, before any work is queued."""
    committed = []
    with transaction.atomic():
        transaction.on_commit(lambda: committed.append(time.time()))
        for start in range(1, count + 1, PUBLISH_CHUNK):
            publish_batch(
                Draft(
                    station_id=webhook.station_id,
                    event_type=PUSH.name,
                    payload=message_payload(webhook.station_id, n),
                    webhooks=[webhook],
                    actor=Actor(),
                    job_id=n,
                    model_id=n,
                )
                for n in range(start, min(start + PUBLISH_CHUNK, count + 1))
            )
    return committed[0]


def pending(webhook: Webhook) -> int:
    return Delivery.objects.filter(webhook=webhook, status=DeliveryStatus.PENDING).count()


def drain_with_cluster(
    nginx: harness.Nginx, *, workers: int, path: str, tmp: Path, profile: Path | None = None
) -> dict:
    """Start a cluster, warm it up, publish the backlog, wait until it is drained."""
    warmup = new_webhook(nginx.url(f"{path}-warmup"))
    webhook = new_webhook(nginx.url(path))
    cluster = harness.start_cluster(
        workers=workers, log_path=tmp / f"cluster{path.replace('/', '-')}.log"
    )
    try:
        publish_backlog(warmup, WARMUP)
        if not harness.wait_for(lambda: not pending(warmup), 60):
            sys.exit(f"The cluster did not deliver the warm-up; see the log in {tmp}")
        sampling = harness.py_spy(cluster.pid, profile / "drain.txt", rate=200) if profile else None
        with sampling or nullcontext():
            committed_at = publish_backlog(webhook, BACKLOG)
            drained = harness.wait_for(lambda: not pending(webhook), DRAIN_TIMEOUT_S, 0.2)
    finally:
        harness.stop_cluster(cluster)
    deliveries = Delivery.objects.filter(webhook=webhook)
    last_finished = deliveries.aggregate(last=Max("finished_at"))["last"]
    seconds = last_finished.timestamp() - committed_at
    return {
        "path": path,
        "drained": drained,
        "seconds": seconds,
        "rate": BACKLOG / seconds,
        "statuses": Counter(deliveries.values_list("status", flat=True)),
        "attempts": DeliveryAttempt.objects.filter(delivery__webhook=webhook).count(),
        "attempt_counts": Counter(deliveries.values_list("attempt_count", flat=True)),
    }


def bare_clients(
    nginx: harness.Nginx, *, processes: int, path: str, tmp: Path, options: tuple = ()
) -> float:
    """Deliveries/s of `processes` bare clients posting the backlog's bodies between them."""
    messages = [
        (new_message_id(), encode_body(message_payload(1, n))) for n in range(1, BACKLOG + 1)
    ]
    clients = []
    for index in range(processes):
        bodies = tmp / f"bodies{path.replace('/', '-')}-{index}.json"
        bodies.write_text(json.dumps(messages[index::processes]))
        clients.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.bare_client",
                    "burst",
                    nginx.url(path),
                    str(bodies),
                    generate_secret(),
                    API_KEY,
                    *options,
                ],
                cwd=harness.PROJECT_DIR,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    for client in clients:
        if client.stdout.readline().strip() != "ready":
            sys.exit("A bare client did not start.")
    started = time.time()
    for client in clients:
        client.stdin.write("go\n")
        client.stdin.flush()
    outputs = [client.communicate(timeout=180)[0].split() for client in clients]
    finished = max(float(out[0]) for out in outputs)
    answered = sum(int(out[1]) for out in outputs)
    if answered != BACKLOG:
        sys.exit(f"The bare clients got {answered} 2xx answers for {BACKLOG} requests.")
    return BACKLOG / (finished - started)


ENGINE_MODULES = ("engine", "transport", "recording")


def print_profile(raw: Path, top: int = 25) -> None:
    """Share of samples per function (inclusive) of the worker processes' delivery work."""
    inclusive, total = Counter(), 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not any(f"webhooks/{module}.py" in stack for module in ENGINE_MODULES):
            continue
        frames = stack.split(";")
        total += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    print(f"\npy-spy: {total} samples in delivery tasks; inclusive share per frame:")
    for frame, count in inclusive.most_common(top):
        print(f"{count / total:7.1%}  {frame}")


def profile_drain(profile: Path) -> None:
    """The 2-worker drain only, under py-spy (its figures are not comparable)."""
    profile.mkdir(parents=True, exist_ok=True)
    with harness.Nginx() as nginx:
        drained = drain_with_cluster(
            nginx, workers=WORKERS, path="/engine-2", tmp=profile, profile=profile
        )
    nginx.cleanup()
    print(f"2-worker drain under py-spy: {drained['rate']:,.0f}/s, {dict(drained['statuses'])}")
    print_profile(profile / "drain.txt")


def run() -> list[harness.Row]:
    """The rows; on SQLite (the embedded default) only the 2-worker drain, reported
    alongside PostgreSQL's, whose run carries the target."""
    sqlite = harness.database_name() == "SQLite"
    tmp = Path(tempfile.mkdtemp(prefix="stationhooks-bench-delivery-"))
    with harness.Nginx() as nginx:
        before = bare_clients(nginx, processes=WORKERS, path="/bare-before", tmp=tmp)
        two = drain_with_cluster(nginx, workers=WORKERS, path="/engine-2", tmp=tmp)
        if not sqlite:
            one = drain_with_cluster(nginx, workers=1, path="/engine-1", tmp=tmp)
        after = bare_clients(nginx, processes=WORKERS, path="/bare-after", tmp=tmp)
        if not sqlite:
            no_env = bare_clients(
                nginx, processes=WORKERS, path="/bare-no-env", tmp=tmp, options=("--no-env",)
            )
    received = nginx.counts()
    nginx.cleanup()
    shutil.rmtree(tmp)  # kept, with the clusters' logs, only when a step failed

    baseline = (before + after) / 2
    ratio = two["rate"] / baseline
    recorded = (
        two["drained"]
        and two["statuses"] == {DeliveryStatus.DELIVERED: BACKLOG}
        and two["attempts"] == BACKLOG
        and two["attempt_counts"] == {1: BACKLOG}
        and received["/engine-2"] >= BACKLOG
    )
    statuses = ", ".join(f"{count:,} {status}" for status, count in two["statuses"].items())
    rows = [
        harness.Row(
            f"1. delivery throughput, {BACKLOG:,} signed, {WORKERS} worker processes"
            + (", SQLite" if sqlite else ""),
            f"{baseline:,.0f}/s bare ({before:,.0f}, {after:,.0f})",
            f"{two['rate']:,.0f}/s ({two['seconds']:.1f} s)",
            f"{ratio:.3f}",
            "-" if sqlite else f">= {TARGET_RATIO}",
            harness.verdict(None if sqlite else ratio >= TARGET_RATIO),
        ),
        harness.Row(
            "1. every delivery and attempt recorded" + (", SQLite" if sqlite else ""),
            f"{BACKLOG:,} published",
            f"{statuses}; {two['attempts']:,} attempts; nginx {received['/engine-2']:,}",
            "",
            "all, 1 attempt each",
            harness.verdict(recorded),
        ),
    ]
    if sqlite:
        return rows
    return [
        *rows,
        harness.Row(
            "1. same, vs bare clients with trust_env=False",
            f"{no_env:,.0f}/s bare, no env lookups",
            f"{two['rate']:,.0f}/s",
            f"{two['rate'] / no_env:.3f}",
            "-",
            harness.verdict(None),
        ),
        harness.Row(
            "1. scale-out: 1 -> 2 worker processes",
            f"{one['rate']:,.0f}/s (1 worker)",
            f"{two['rate']:,.0f}/s (2 workers)",
            f"{two['rate'] / one['rate']:.2f}",
            "-",
            harness.verdict(None),
        ),
    ]


def main() -> None:
    args = harness.arguments(__doc__, profile="py-spy the 2-worker drain into this dir")
    harness.run_and_report(run, args.parse_args(), profile=profile_drain)


if __name__ == "__main__":
    main()
