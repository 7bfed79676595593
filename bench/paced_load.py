"""Paced load for the isolation benchmarks (bench/isolation.py): publisher processes that
publish push messages round-robin over many webhooks at a steady rate, each in its own
transaction, recording each message's commit time; the asyncio receivers
(bench/async_receiver.py) that record when each message arrived; a real cluster that
delivers in between.

    .venv/bin/python -m bench.paced_load WEBHOOKS RATE SECONDS OUT   (one publisher)
"""

import json
import math
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import harness

harness.setup_django()

from django.db import transaction  # noqa: E402

from stations.actors import Actor  # noqa: E402
from stations.models import Station  # noqa: E402
from webhooks.event_types import PUSH  # noqa: E402
from webhooks.models import Delivery, Webhook  # noqa: E402
from webhooks.payloads import push_message  # noqa: E402
from webhooks.publish import Draft, publish_batch  # noqa: E402
from webhooks.selectors import PUBLISHING_FIELDS  # noqa: E402

__all__ = ["Receivers", "Run", "endpoints", "read_times", "run_load"]

PUBLISHERS = 2
SETTLE_TIMEOUT_S = 30


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
                        "bench.paced_load",
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


def main() -> None:
    webhooks, rate, seconds, out = sys.argv[1:5]
    publish_paced(json.loads(webhooks), float(rate), float(seconds), out)


if __name__ == "__main__":
    main()
