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

import math
import shutil
import tempfile
from pathlib import Path

from bench import harness

harness.setup_django()

from django.utils import timezone  # noqa: E402

from bench.paced_load import PUBLISHERS, Receivers, endpoints, read_times, run_load  # noqa: E402
from webhooks.choices import DeliveryStatus  # noqa: E402
from webhooks.models import Delivery, DeliveryAttempt, Webhook  # noqa: E402

TARGET_P50_S = 0.150
TARGET_P99_S = 1.0
TARGET_SLOW_P99_S = 4.0
TARGET_KEEP_UP = 0.95
ENDPOINT_CAP = 16  # WEBHOOKS_ENDPOINT_MAX_IN_FLIGHT's default


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
    args = parser.parse_args()
    harness.run_and_report(lambda: run(args.only), args)


if __name__ == "__main__":
    main()
