"""Benchmarks 7-9: a dead, failing or slow receiver costs only its own endpoint.

Every scenario publishes push messages round-robin over many stations, one push webhook
each, at a steady rate, each message in its own transaction, from two publisher
processes that record each message's commit time (an on_commit callback) and id. The
receivers (bench/async_receiver.py, asyncio, on 127.0.0.1) record when each message
arrived; latency is arrival - commit, a message that never arrived counting as infinitely
late. A real `qcluster` with the default settings for 2 cores (Q_WORKERS=2) delivers.

7. Noisy neighbour: 10 stations, station 0's receiver accepts connections and never
   answers; 50 changes/s for 30 s. The healthy endpoints' p50 and p99 against the same run
   with station 0's receiver healthy (the baseline); 0 lost; the dead endpoint's attempts
   (at most its in-flight cap while the request timeout runs, one per delivery, then held
   by its breaker).
8. Many failing endpoints: 1,000 stations, 100 of whose receivers refuse connections (a
   port nothing listens on) and 100 answer after 5 s; 200 changes/s for 60 s. The healthy
   endpoints' p99 against the same engine with every receiver healthy for 20 s (baseline).
9. Slow receivers: 500 stations whose receivers all answer after 2 s; 200 changes/s for
   60 s. Arrivals per second within the publishing window against the publishing rate, and
   p99; the workers' peak RSS and the receiver's most open connections.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stationhooks_bench_x \\
        .venv/bin/python -m bench.isolation [--only noisy failing slow]
"""

import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import harness

harness.setup_django()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from stations.actors import Actor  # noqa: E402
from stations.models import Station  # noqa: E402
from webhooks.choices import DeliveryStatus  # noqa: E402
from webhooks.event_types import PUSH  # noqa: E402
from webhooks.models import Delivery, DeliveryAttempt, Webhook  # noqa: E402
from webhooks.payloads import push_message  # noqa: E402
from webhooks.publish import Draft, publish_batch  # noqa: E402
from webhooks.selectors import PUBLISHING_FIELDS  # noqa: E402

PUBLISHERS = 2
SETTLE_TIMEOUT_S = 30
TARGET_P50_S = 0.150
TARGET_P99_S = 1.0
TARGET_SLOW_P99_S = 4.0
TARGET_KEEP_UP = 0.95
ENDPOINT_CAP = 16  # WEBHOOKS_ENDPOINT_MAX_IN_FLIGHT's default


# --- in a publisher process -------------------------------------------------------------


def publish_paced(webhook_ids: list[int], rate: float, duration_s: float, out: str) -> None:
    """Publish one push message at a time to `webhook_ids` round-robin, at `rate`/s; write
    "<message id> <commit time>" per message to `out`."""
    webhooks = Webhook.objects.only("station_id", *PUBLISHING_FIELDS).in_bulk(webhook_ids)
    ordered = [webhooks[pk] for pk in webhook_ids]
    print("ready", flush=True)
    sys.stdin.readline()
    committed: list[tuple[str, float]] = []
    start = time.monotonic()
    for n in harness.paced(rate, duration_s, start=start):
        webhook = ordered[n % len(ordered)]
        commit_times: list[float] = []
        with transaction.atomic():
            transaction.on_commit(lambda times=commit_times: times.append(time.time()))
            (event,) = publish_batch(
                [
                    Draft(
                        station_id=webhook.station_id,
                        event_type=PUSH.name,
                        payload=push_message(
                            action="update",
                            model="program",
                            model_id=n,
                            job_id=n,
                            resync=False,
                            station_id=webhook.station_id,
                            user_id=None,
                            api_id=None,
                        ),
                        webhooks=[webhook],
                        actor=Actor(),
                    )
                ]
            )
        committed.append((event.message_id, commit_times[0]))
    Path(out).write_text("".join(f"{mid} {at}\n" for mid, at in committed))
    print(len(committed), time.monotonic() - start, flush=True)


# --- in the benchmark process ------------------------------------------------------------


class Receivers:
    """bench/async_receiver.py processes, one per kind: `start(kind, ...)` returns its
    URL; `arrivals()` merges what they recorded."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, kind: str, *options: str) -> str:
        port = harness.free_port()
        self.processes[kind] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.async_receiver",
                str(port),
                str(self.out(kind)),
                *options,
            ],
            cwd=harness.PROJECT_DIR,
        )
        harness.wait_for_port(port, 10)
        return f"http://127.0.0.1:{port}"

    def out(self, kind: str) -> Path:
        return self.tmp / f"arrived-{kind}.txt"

    def stop(self) -> dict[str, dict]:
        """Stop them all; their stats (most open connections, requests)."""
        for receiver in self.processes.values():
            receiver.terminate()
        stats = {}
        for kind, receiver in self.processes.items():
            receiver.wait(timeout=10)
            stats[kind] = json.loads(Path(f"{self.out(kind)}.json").read_text())
        return stats

    def arrivals(self) -> dict[str, float]:
        arrived: dict[str, float] = {}
        for kind in self.processes:
            arrived |= read_times(self.out(kind))
        return arrived


def read_times(path: Path) -> dict[str, float]:
    """First time per id from "<id> <time>" lines."""
    times: dict[str, float] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, at = line.split()
            times.setdefault(key, float(at))
    return times


def endpoints(name: str, urls: list[str]) -> list[int]:
    """One station with one push webhook per URL; their webhook ids, in order."""
    stations = Station.objects.bulk_create(Station(name=f"{name} {n}") for n in range(len(urls)))
    webhooks = Webhook.objects.bulk_create(
        Webhook(station=station, name=f"{name} {n}", url=url, event_type=PUSH.name)
        for n, (station, url) in enumerate(zip(stations, urls, strict=True))
    )
    return [w.pk for w in webhooks]


@dataclass
class Run:
    """What one run published and what arrived."""

    sent: dict[str, float] = field(default_factory=dict)  # message id -> commit time
    arrived: dict[str, float] = field(default_factory=dict)
    webhook_of: dict[str, int] = field(default_factory=dict)
    published_rate: float = 0.0
    window: tuple[float, float] = (0.0, 0.0)
    rss_mb: float = 0.0

    def latencies(self, webhooks: set[int]) -> list[float]:
        return [
            self.arrived.get(mid, math.inf) - at
            for mid, at in self.sent.items()
            if self.webhook_of[mid] in webhooks
        ]


def run_load(
    name: str, webhook_ids: list[int], rate: float, duration_s: float, tmp: Path, settled
) -> Run:
    """Publish at `rate` for `duration_s` through a fresh cluster; wait until `settled()`
    (or SETTLE_TIMEOUT_S), then stop the cluster."""
    listing = tmp / f"{name}-webhooks.json"
    listing.write_text(json.dumps(webhook_ids))
    cluster = harness.start_cluster(workers=2, log_path=tmp / f"cluster-{name}.log")
    publishers = []
    run = Run()
    try:
        time.sleep(3)  # the workers and their engines are up
        for offset in range(PUBLISHERS):
            publishers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "bench.isolation",
                        "--publisher",
                        json.dumps(webhook_ids[offset::PUBLISHERS]),
                        str(rate / PUBLISHERS),
                        str(duration_s),
                        str(tmp / f"{name}-sent-{offset}.txt"),
                    ],
                    cwd=harness.PROJECT_DIR,
                    env=harness.bench_env(),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        for publisher in publishers:
            if publisher.stdout.readline().strip() != "ready":
                sys.exit(f"A publisher of {name} did not start.")
        for publisher in publishers:
            publisher.stdin.write("go\n")
            publisher.stdin.flush()
        outputs = [p.communicate(timeout=3 * duration_s + 60)[0].split() for p in publishers]
        harness.wait_for(settled, SETTLE_TIMEOUT_S, 0.5)
        run.rss_mb = max(harness.peak_rss_mb(pid) for pid in harness.cluster_pids(cluster))
    finally:
        for publisher in publishers:
            publisher.kill()
        harness.stop_cluster(cluster)
    for offset in range(PUBLISHERS):
        run.sent |= read_times(tmp / f"{name}-sent-{offset}.txt")
    run.published_rate = sum(int(out[0]) for out in outputs) / max(float(out[1]) for out in outputs)
    run.window = (min(run.sent.values()), max(run.sent.values()))
    ids = Delivery.objects.filter(event__message_id__in=list(run.sent)).values_list(
        "event__message_id", "webhook_id"
    )
    run.webhook_of = dict(ids)
    return run


def ms(seconds: float) -> str:
    return "never" if math.isinf(seconds) else f"{seconds * 1000:,.0f} ms"


def p(latencies: list[float], q: float) -> float:
    return harness.percentile(latencies, q)


def noisy_neighbour(tmp: Path) -> list[harness.Row]:
    receivers = Receivers(tmp)
    healthy_url = receivers.start("healthy")
    dead_url = receivers.start("dead", "--silent")
    try:
        baseline_ids = endpoints("Quiet", [f"{healthy_url}/quiet/{n}" for n in range(10)])
        quiet = all_arrived(receivers, tmp, "noisy-baseline", set(baseline_ids))
        baseline = run_load("noisy-baseline", baseline_ids, 50, 30, tmp, quiet)
        ids = endpoints("Noisy", [f"{dead_url}/dead"] + [f"{healthy_url}/h/{n}" for n in range(9)])
        healthy = set(ids[1:])
        arrived = all_arrived(receivers, tmp, "noisy", healthy)

        def settled() -> bool:  # and the dead endpoint's first requests have timed out
            return arrived() and Webhook.objects.get(pk=ids[0]).breaker_trips >= 1

        noisy = run_load("noisy", ids, 50, 30, tmp, settled)
    finally:
        stats = receivers.stop()
    baseline.arrived = noisy.arrived = receivers.arrivals()
    base = baseline.latencies(set(baseline_ids[1:]))
    result = noisy.latencies(healthy)
    lost = sum(math.isinf(x) for x in result)
    dead = Delivery.objects.filter(webhook_id=ids[0])
    attempts = DeliveryAttempt.objects.filter(delivery__webhook_id=ids[0]).count()
    most_attempts = max(dead.values_list("attempt_count", flat=True), default=0)
    webhook = Webhook.objects.get(pk=ids[0])
    rules_kept = attempts <= ENDPOINT_CAP and most_attempts <= 1 and webhook.breaker_trips >= 1
    return [
        harness.Row(
            "7. noisy neighbour: healthy p50, 50/s over 10 endpoints, 1 dead",
            f"{ms(p(base, 50))} (no dead endpoint)",
            f"{ms(p(result, 50))}; {len(result):,} healthy sent, {lost} lost",
            f"{p(result, 50) / p(base, 50):.1f}",
            f"<= {ms(TARGET_P50_S)}, 0 lost",
            harness.verdict(p(result, 50) <= TARGET_P50_S and lost == 0),
        ),
        harness.Row(
            "7. noisy neighbour: healthy p99",
            f"{ms(p(base, 99))} (no dead endpoint)",
            ms(p(result, 99)),
            f"{p(result, 99) / p(base, 99):.1f}",
            f"<= {ms(TARGET_P99_S)}",
            harness.verdict(p(result, 99) <= TARGET_P99_S),
        ),
        harness.Row(
            "7. noisy neighbour: the dead endpoint",
            f"{dead.count()} deliveries to it",
            f"{attempts} attempts (<= {most_attempts} each), {stats['dead']['max_connections']} "
            f"connections open at most; breaker {webhook.breaker.state(timezone.now()).value}"
            f" after {webhook.breaker_failures} failures",
            "",
            f"<= {ENDPOINT_CAP} in flight, then held",
            harness.verdict(rules_kept),
        ),
    ]


def all_arrived(receivers: Receivers, tmp: Path, name: str, webhooks: set[int]):
    """A check that every message run `name` sent to `webhooks` has arrived (false until
    its publishers have finished)."""

    def check() -> bool:
        arrived = receivers.arrivals()
        return all(mid in arrived for mid in sent_to(webhooks, tmp, name))

    return check


def sent_to(webhooks: set[int], tmp: Path, name: str) -> list[str]:
    """Ids of the messages the publishers of run `name` have written so far to `webhooks`
    (empty until they finish)."""
    sent: dict[str, float] = {}
    for offset in range(PUBLISHERS):
        sent |= read_times(tmp / f"{name}-sent-{offset}.txt")
    if not sent:
        return ["-"]  # not finished yet
    ids = Delivery.objects.filter(event__message_id__in=list(sent), webhook_id__in=webhooks)
    return list(ids.values_list("event__message_id", flat=True))


def many_failing(tmp: Path) -> list[harness.Row]:
    receivers = Receivers(tmp)
    healthy_url = receivers.start("healthy")
    slow_url = receivers.start("slow5", "--delay", "5")
    refusing_url = f"http://127.0.0.1:{harness.free_port()}"  # nothing listens there
    try:
        baseline_ids = endpoints("All healthy", [f"{healthy_url}/b/{n}" for n in range(1000)])
        everything = all_arrived(receivers, tmp, "failing-baseline", set(baseline_ids))
        baseline = run_load("failing-baseline", baseline_ids, 200, 20, tmp, everything)
        urls = (
            [f"{refusing_url}/r/{n}" for n in range(100)]
            + [f"{slow_url}/s/{n}" for n in range(100)]
            + [f"{healthy_url}/h/{n}" for n in range(800)]
        )
        ids = endpoints("Failing", urls)
        healthy = set(ids[200:])
        failing = run_load(
            "failing", ids, 200, 60, tmp, all_arrived(receivers, tmp, "failing", healthy)
        )
    finally:
        receivers.stop()
    baseline.arrived = failing.arrived = receivers.arrivals()
    base = baseline.latencies(set(baseline_ids))
    result = failing.latencies(healthy)
    lost = sum(math.isinf(x) for x in result)
    open_breakers = Webhook.objects.filter(pk__in=ids[:100], breaker_trips__gte=1).count()
    return [
        harness.Row(
            "8. many failing: healthy p99, 200/s over 1,000 endpoints, 100 refuse, 100 take 5 s",
            f"{ms(p(base, 99))} (all healthy, 20 s)",
            f"{ms(p(result, 99))}; p50 {ms(p(result, 50))}; {len(result):,} healthy sent, "
            f"{lost} lost; {failing.published_rate:.0f}/s published; "
            f"{open_breakers} of 100 refusing endpoints held",
            f"{p(result, 99) / p(base, 99):.1f}",
            f"<= {ms(TARGET_P99_S)}",
            harness.verdict(p(result, 99) <= TARGET_P99_S and lost == 0),
        )
    ]


def slow_receivers(tmp: Path) -> list[harness.Row]:
    receivers = Receivers(tmp)
    slow_url = receivers.start("slow2", "--delay", "2")
    try:
        ids = endpoints("Slow", [f"{slow_url}/s/{n}" for n in range(500)])

        def all_delivered() -> bool:
            return not Delivery.objects.filter(
                webhook_id__in=ids, status=DeliveryStatus.PENDING
            ).exists()

        slow = run_load("slow", ids, 200, 60, tmp, all_delivered)
    finally:
        stats = receivers.stop()
    slow.arrived = receivers.arrivals()
    latency = slow.latencies(set(ids))
    start, end = slow.window
    in_window = sum(start <= at <= end for at in slow.arrived.values())
    arrived_rate = in_window / (end - start)
    sent_rate = len(slow.sent) / (end - start)
    keeps_up = arrived_rate / sent_rate
    return [
        harness.Row(
            "9. slow receivers: arrivals/s, 200/s over 500 endpoints answering after 2 s",
            f"{sent_rate:.0f}/s published",
            f"{arrived_rate:.0f}/s arrived in the window; {len(latency):,} sent, "
            f"{sum(math.isinf(x) for x in latency)} lost",
            f"{keeps_up:.3f}",
            f">= {TARGET_KEEP_UP}",
            harness.verdict(keeps_up >= TARGET_KEEP_UP),
        ),
        harness.Row(
            "9. slow receivers: p99 commit -> arrival",
            "-",
            f"{ms(p(latency, 99))}; p50 {ms(p(latency, 50))}; worker peak RSS "
            f"{slow.rss_mb:.0f} MB; {stats['slow2']['max_connections']} connections open at most",
            "",
            f"<= {ms(TARGET_SLOW_P99_S)}",
            harness.verdict(p(latency, 99) <= TARGET_SLOW_P99_S),
        ),
    ]


SCENARIOS = {"noisy": noisy_neighbour, "failing": many_failing, "slow": slow_receivers}


def run(only: list[str] | None = None) -> list[harness.Row]:
    tmp = Path(tempfile.mkdtemp(prefix="stationhooks-bench-isolation-"))
    rows = []
    for name, scenario in SCENARIOS.items():
        if not only or name in only:
            rows += scenario(tmp)
    shutil.rmtree(tmp)  # kept, with the clusters' logs, only when a step failed
    return rows


def main() -> None:
    parser = harness.arguments(__doc__)
    parser.add_argument("--only", nargs="+", choices=list(SCENARIOS))
    parser.add_argument("--publisher", nargs=4, metavar=("WEBHOOKS", "RATE", "SECONDS", "OUT"))
    args = parser.parse_args()
    if args.publisher:
        webhooks, rate, seconds, out = args.publisher
        publish_paced(json.loads(webhooks), float(rate), float(seconds), out)
        return
    harness.run_and_report(lambda: run(args.only), args)


if __name__ == "__main__":
    main()
