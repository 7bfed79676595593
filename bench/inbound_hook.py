"""Benchmark 6: the two inbound paths under gunicorn, the now-playing hook and the inbound
gateway's ingest endpoint, against the floor of any hook that records its reports, on the
same server.

The server: gunicorn with 2 workers (its default sync worker class, as the README's
production command runs it: one request per connection, no keep-alive, so wrk reconnects
for every request, for both views alike) serving `config.wsgi` on a free 127.0.0.1 port,
with the production settings of every benchmark process (`harness.bench_env`: DEBUG off,
the bench database, the ORM broker, the default `API_THROTTLE_RATE`) plus two URLs:
bench/settings.py sets ROOT_URLCONF to bench/urls.py, the project's URLs and the two
reference views.

The load: `wrk` (Debian's package) on loopback, one thread, CONNECTIONS connections, each
request a POST of the same JSON track report with an `api-key` header. STATIONS stations
each have an API key and one enabled now-playing webhook (with a secret and a key); the
requests take the keys in turn, so each key stays far below the default 600 requests/min
(counted per web process) and the throttle counts without refusing.

- The hook: `POST /api/v1/studio/tracks/`, the real view: it authenticates the key,
  throttles, validates, and writes the TrackPlay in one INSERT that announces it (a
  NOTIFY; no task is written), answered 201. No cluster runs, so the plays stay pending:
  after the rounds, this process announces them all as a worker would
  (`track_plays_announce`), which writes each play's Event and Delivery, and the time it
  takes gives the rate one worker raises the hook's events at.
- The baseline: `POST /bench/bare/`, a DRF APIView without authentication, permissions or
  throttles that parses the same body and answers a small JSON object (bench/urls.py).
- The ingest endpoint: `POST /in/<token>/` of the inbound gateway, each station with an
  xtra source: the request is looked up by its token, its X-Webhook-Signature (HMAC-SHA256
  of the raw body) verified, its body read, and the request kept (headers, body, the
  verification) in one INSERT that announces it (a NOTIFY), answered 202. No cluster
  runs, so the requests stay pending. The requests repeat the same bodies (wrk cannot sign
  new ones), so the sources' de-duplication by body hash is off (window 0): each request
  is accepted, as distinct reports would be.
- The floor: `POST /bench/one-insert/`, the bare view plus one INSERT of a TrackPlay in
  autocommit, still without authentication, throttle or validation: what a hook costs
  that does nothing but keep a durable record of each report. The targets ask the hook
  and the ingest endpoint for half of it.

After a warm-up of each, ROUNDS rounds of ROUND_S seconds of each, taking turns at going
first and last (bare, one insert, hook, ingest; ingest, hook, one insert, bare; ...) so a
drift of the shared machine weighs on all; a rate is 2xx answers over wrk's measured seconds, summed
over the rounds. Every answer must be 2xx, and each hook round must have written as many
pending TrackPlay rows, at least one per 2xx answer and at most one per request sent (a
request still in flight when wrk stops is still served; the rows are counted once the
server is quiet), and no event and no task; each ingest round as many accepted pending
requests, within the same bounds. Announcing the plays afterwards must leave none
pending and write one Event and one pending Delivery per play. Latency percentiles are
wrk's, over all connections (so they include the wait for a free worker). Every run is
bounded by ROUND_S and MAX_REQUESTS_PER_RUN.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stationhooks_bench_x \\
        .venv/bin/python -m bench.inbound_hook [--profile DIR]

`--profile DIR` runs one hook round and one ingest round under py-spy (`DIR/hook.txt`,
`DIR/ingest.txt`: collapsed stacks of the gunicorn workers, GIL holder only) and prints,
for each, the share of each step of a request (PROFILE_STEPS) and the frames with the
most samples of their own.
"""

import hashlib
import hmac
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench import harness, load

harness.setup_django()

from django.db import connection  # noqa: E402
from django_q.models import OrmQ  # noqa: E402

from bench.urls import BARE_VIEW_PATH, ONE_INSERT_VIEW_PATH  # noqa: E402
from stations.api_keys import api_key_create  # noqa: E402
from stations.inbound import track_plays_announce  # noqa: E402
from stations.models import Station, TrackPlay  # noqa: E402
from webhooks.choices import DeliveryStatus, InboundOutcome, InboundStatus  # noqa: E402
from webhooks.event_types import NEWTRACK  # noqa: E402
from webhooks.models import Delivery, Event, InboundRequest, InboundSource, Webhook  # noqa: E402

WEB_WORKERS = 2
CONNECTIONS = 8
STATIONS = 50
ROUNDS = 2
ROUND_S = 12
WARMUP_S = 3
MAX_REQUESTS_PER_RUN = 100_000
SETTLE_S, SETTLE_TIMEOUT_S = 0.5, 15
TARGET_RATIO = 0.5
HOOK_PATH = "/api/v1/studio/tracks/"
XTRA_SECRET = "bench-xtra-secret-1"
XTRA_NEWTRACK = {
    "event": "station.studio.newtrack",
    "timestamp": "2026-01-26T14:30:00Z",
    "station": {"id": "stn_bench", "name": "Bench FM"},
    "track": {
        "id": "med_bench",
        "title": "Hey Jude",
        "artist": "The Beatles",
        "album": "Past Masters",
        "duration": 431,
    },
}
TRACK_REPORT = {
    "title": "Hey Jude",
    "artist": "The Beatles",
    "album": "Past Masters",
    "duration": 431,
    "external_id": "rd-1",
}


def seed_stations(count: int) -> tuple[list[str], list[str]]:
    """`count` stations, each with one enabled now-playing webhook (secret and key) that
    nothing will deliver to, an API key, and an xtra inbound source (de-duplication off:
    see the module docstring); returns the keys and the sources' ingest paths."""
    raw_keys, ingest_paths = [], []
    for n in range(count):
        station = Station.objects.create(name=f"Bench FM {n}")
        Webhook.objects.create(
            station=station,
            name="Now playing",
            url=f"http://127.0.0.1:9/now-playing/{n}",
            event_type=NEWTRACK.name,
            key="receiver-key",
        )
        raw_keys.append(api_key_create(station=station, name="Playout")[1])
        source = InboundSource.objects.create(
            station=station, name="xtra", kind="xtra", secret=XTRA_SECRET, dedup_window_s=0
        )
        ingest_paths.append(source.ingest_path)
    return raw_keys, ingest_paths


def ingest_requests(paths: list[str]) -> list[load.Prepared]:
    """xtra's new-track event to each source, signed as xtra signs it."""
    body = json.dumps(XTRA_NEWTRACK)
    signature = hmac.new(XTRA_SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Webhook-Signature": signature}
    return [(path, headers, body) for path in paths]


def serve(tmp: Path) -> harness.Gunicorn:
    """The benchmark's server, ready once every worker answers the bare view."""
    return harness.Gunicorn(
        tmp / "gunicorn.log", workers=WEB_WORKERS, ready=(BARE_VIEW_PATH, TRACK_REPORT)
    )


def wrk(url: str, requests: list[load.Prepared], seconds: int, tmp: Path) -> dict:
    """One wrk run against `url` of the prepared requests, taken in turn."""
    return load.run_wrk(
        url,
        requests=requests,
        connections=CONNECTIONS,
        seconds=seconds,
        max_requests=MAX_REQUESTS_PER_RUN,
        tmp=tmp,
    )


def recorded_rows() -> Counter:
    """What the hook writes, counted in one statement (one snapshot)."""
    tables = {
        "track_plays": f"{TrackPlay._meta.db_table}",
        "pending_plays": f"{TrackPlay._meta.db_table} WHERE event_pending",
        "events": f"{Event._meta.db_table} WHERE event_type = %(newtrack)s",
        "pending_deliveries": f"{Delivery._meta.db_table} WHERE status = %(pending)s",
        "accepted_requests": f"{InboundRequest._meta.db_table} "
        "WHERE outcome = %(accepted)s AND status = %(inbound_pending)s",
        "queued_tasks": f"{OrmQ._meta.db_table}",
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables.values()),
            {
                "newtrack": NEWTRACK.name,
                "pending": DeliveryStatus.PENDING,
                "accepted": InboundOutcome.ACCEPTED,
                "inbound_pending": InboundStatus.PENDING,
            },
        )
        return Counter(dict(zip(tables, cursor.fetchone(), strict=True)))


def settled_rows() -> Counter:
    """The counts once the server has finished the requests still in flight when wrk
    stopped: two reads SETTLE_S apart agree."""
    last = recorded_rows()
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        time.sleep(SETTLE_S)
        now = recorded_rows()
        if now == last:
            break
        last = now
    return last


VIEWS = {
    "bare": BARE_VIEW_PATH,
    "one insert": ONE_INSERT_VIEW_PATH,
    "hook": HOOK_PATH,
    "ingest": "/in/",  # each request names its source's path
}
RECORDING = ("hook", "ingest")


def load_rounds(
    server: harness.Gunicorn, requests: dict[str, list[load.Prepared]], tmp: Path
) -> dict[str, list[dict]]:
    """Warm-up, then ROUNDS rounds of the views, in turn first and last (bare, one insert,
    hook, ingest; ingest, hook, one insert, bare; ...); each run of a recording view
    carries the rows it wrote."""
    for name, path in VIEWS.items():
        warmup = wrk(server.url(path), requests[name], WARMUP_S, tmp)
        if warmup["other"] or not warmup["ok"]:
            sys.exit(f"The warm-up of {path} got answers other than 2xx: {warmup}")
    runs = {name: [] for name in VIEWS}
    for round_ in range(ROUNDS):
        for name in list(VIEWS) if round_ % 2 == 0 else list(reversed(VIEWS)):
            url = server.url(VIEWS[name])
            if name not in RECORDING:
                runs[name].append(wrk(url, requests[name], ROUND_S, tmp))
                continue
            before = settled_rows()
            measured = wrk(url, requests[name], ROUND_S, tmp)
            after = settled_rows()
            rows = {n: after[n] - before[n] for n in after if n != "queued_tasks"}
            runs[name].append(measured | {"rows": rows, "queued_tasks": after["queued_tasks"]})
    return runs


def rate(runs: list[dict]) -> float:
    """2xx answers per second over all the runs."""
    return sum(run["ok"] for run in runs) / sum(run["seconds"] for run in runs)


def median_p50_ms(runs: list[dict]) -> float:
    return sorted(run["p50_ms"] for run in runs)[len(runs) // 2]


def latency(runs: list[dict]) -> str:
    return f"p50 {median_p50_ms(runs):.1f} ms, p99 {max(run['p99_ms'] for run in runs):.1f} ms"


def totals(runs: list[dict]) -> Counter:
    counted = Counter()
    for run in runs:
        counted.update({k: run[k] for k in ("sent", "ok", "other", "socket_errors")})
        counted.update(run.get("rows", {}))
    return counted


@dataclass(frozen=True)
class Announced:
    plays: int
    seconds: float
    counts: Counter

    @property
    def rate(self) -> float:
        return self.plays / self.seconds

    @property
    def complete(self) -> bool:
        """None left pending, one event and one pending delivery per play (the floor's
        view writes plays too, with no event)."""
        c = self.counts
        return c["pending_plays"] == 0 and c["events"] == c["pending_deliveries"] == self.plays

    @property
    def summary(self) -> str:
        c = self.counts
        return (
            f"{c['events']:,} events, {c['pending_deliveries']:,} pending deliveries, "
            f"{c['pending_plays']:,} plays left"
        )


def announce_all() -> Announced:
    """Announce every pending play as a worker does once it hears of them, and time it."""
    plays = recorded_rows()["pending_plays"]
    started = time.perf_counter()
    while track_plays_announce(limit=500):
        pass
    return Announced(plays, time.perf_counter() - started, recorded_rows())


def all_recorded(hooks: list[dict], ingests: list[dict]) -> bool:
    """Each hook run wrote as many pending plays, and each ingest run as many accepted
    pending requests (and nothing else), at least one per 2xx answer and at most one per
    request sent, and no task (both announce; no cluster runs here to hear it)."""
    hooks_ok = all(
        run["rows"]["track_plays"] == run["rows"]["pending_plays"]
        and run["rows"]["events"] == 0
        and run["ok"] <= run["rows"]["track_plays"] <= run["sent"]
        and run["rows"]["accepted_requests"] == 0
        and run["queued_tasks"] == 0
        for run in hooks
    )
    return hooks_ok and all(
        run["ok"] <= run["rows"]["accepted_requests"] <= run["sent"]
        and run["rows"]["track_plays"] == run["rows"]["events"] == 0
        and run["queued_tasks"] == 0
        for run in ingests
    )


# Where a request's time goes, per view: (label, frames that all are in the stack, a frame
# that is not), each step counted inclusively.
REQUEST = ("Django + DRF + gunicorn, request to response", ("handle_request",), None)
PROFILE_STEPS = {
    "hook": [
        REQUEST,
        ("API key authentication (with the health-check query)", ("perform_authentication",), None),
        ("throttle", ("check_throttles",), None),
        ("report validation", ("BaseSerializer.is_valid",), None),
        ("track_play_receive: the play's INSERT (and NOTIFY)", ("track_play_receive",), None),
        ("answer serializer", ("Serializer.data",), None),
    ],
    "ingest": [
        REQUEST,
        ("source lookup by token (with the health-check query)", ("source_for_token",), None),
        ("decrypting the source's secret", ("verifier_config",), None),
        ("verification", ("receipt.py", "verify"), "verifier_config"),
        ("reading the body", ("read_body",), None),
        ("the request's INSERT (and NOTIFY)", ("insert_announced",), None),
    ],
}


def print_profile(raw: Path, steps_of: list[tuple], top: int = 15) -> None:
    """Share of the samples in requests per step, and the frames with most self samples."""
    steps, own, total = Counter(), Counter(), 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "handle_request" not in stack:
            continue
        total += int(count)
        own[stack.rsplit(";", 1)[-1]] += int(count)
        for label, frames, not_under in steps_of:
            if all(f in stack for f in frames) and not (not_under and not_under in stack):
                steps[label] += int(count)
    print(f"\npy-spy: {total} samples in gunicorn requests (GIL held); share per step:")
    for label, _, _ in steps_of:
        print(f"{steps[label] / total:7.1%}  {label}")
    print("frames with the most self samples:")
    for frame, count in own.most_common(top):
        print(f"{count / total:7.1%}  {frame}")


def profile_views(profile: Path) -> None:
    """One warm run of the hook and one of the ingest endpoint under py-spy (their rates
    are not comparable to the measured ones)."""
    profile.mkdir(parents=True, exist_ok=True)
    keys, ingest_paths = seed_stations(STATIONS)
    requests = {
        "hook": load.keyed(keys, json.dumps(TRACK_REPORT)),
        "ingest": ingest_requests(ingest_paths),
    }
    with serve(profile) as server:
        for name, steps_of in PROFILE_STEPS.items():
            url = server.url(VIEWS[name])
            wrk(url, requests[name], WARMUP_S, profile)
            with harness.py_spy(server.process.pid, profile / f"{name}.txt", rate=250):
                measured = wrk(url, requests[name], ROUND_S, profile)
            print(f"\n{name} under py-spy: {measured['ok'] / measured['seconds']:,.0f}/s")
            print_profile(profile / f"{name}.txt", steps_of)


def run() -> list[harness.Row]:
    tmp = Path(tempfile.mkdtemp(prefix="stationhooks-bench-inbound-"))
    keys, ingest_paths = seed_stations(STATIONS)
    reports = load.keyed(keys, json.dumps(TRACK_REPORT))
    requests = dict.fromkeys(VIEWS, reports) | {"ingest": ingest_requests(ingest_paths)}
    with serve(tmp) as server:
        runs = load_rounds(server, requests, tmp)
    announced = announce_all()
    bare, floor, hook, ingest = (rate(runs[name]) for name in VIEWS)
    counted = {name: totals(view_runs) for name, view_runs in runs.items()}
    every_2xx = not any(t["other"] or t["socket_errors"] for t in counted.values())
    recorded = every_2xx and all_recorded(runs["hook"], runs["ingest"]) and announced.complete
    if recorded:
        shutil.rmtree(tmp)  # kept, with gunicorn's log, only when a check failed
    else:
        print(f"Runs: {json.dumps(runs)}\ngunicorn's log is in {tmp}")
    hooks, ingests = counted["hook"], counted["ingest"]
    server = f"gunicorn {WEB_WORKERS} workers, wrk {CONNECTIONS} connections"
    interleaved = f"{ROUNDS} x {ROUND_S} s each, interleaved"
    return [
        harness.Row(
            f"6. now-playing hook, {server}",
            f"{floor:,.0f}/s (the floor: bare view + one INSERT)",
            f"{hook:,.0f}/s ({interleaved})",
            f"{hook / floor:.3f}",
            f">= {TARGET_RATIO}",
            harness.verdict(hook / floor >= TARGET_RATIO),
        ),
        harness.Row(
            f"6. inbound gateway POST /in/<token>/, xtra HMAC verified, each kept, {server}",
            f"{floor:,.0f}/s (the floor: bare view + one INSERT)",
            f"{ingest:,.0f}/s ({interleaved})",
            f"{ingest / floor:.3f}",
            f">= {TARGET_RATIO}",
            harness.verdict(ingest / floor >= TARGET_RATIO),
        ),
        harness.Row(
            "6. the floor: the bare view + one INSERT, no auth (no recording hook is faster)",
            f"{bare:,.0f}/s (bare DRF view)",
            f"{floor:,.0f}/s (one insert); the hook is {hook / bare:.2f} of the bare view",
            f"{floor / bare:.3f}",
            "-",
            harness.verdict(None),
        ),
        harness.Row(
            "6. every answer 2xx; every hook and ingest request recorded",
            ", ".join(
                f"{name} {counted[name]['ok']:,} 2xx of {counted[name]['sent']:,} sent"
                for name in VIEWS
            ),
            f"hook: {hooks['track_plays']:,} plays; ingest: "
            f"{ingests['accepted_requests']:,} accepted requests; no task written; "
            f"announced: {announced.summary}",
            "",
            "all 2xx, 1 record of each per request, 1 event per play",
            harness.verdict(recorded),
        ),
        harness.Row(
            "6. one worker announcing the hook's plays (event + delivery each)",
            f"{hook:,.0f}/s (the hook's rate)",
            f"{announced.rate:,.0f}/s ({announced.plays:,} plays)",
            f"{announced.rate / hook:.2f}",
            "-",
            harness.verdict(None),
        ),
        harness.Row(
            "6. latency under that load (wrk, over all connections): hook; ingest",
            latency(runs["bare"]),
            f"{latency(runs['hook'])}; {latency(runs['ingest'])}",
            f"{median_p50_ms(runs['hook']) / median_p50_ms(runs['bare']):.1f}; "
            f"{median_p50_ms(runs['ingest']) / median_p50_ms(runs['bare']):.1f}",
            "-",
            harness.verdict(None),
        ),
    ]


def main() -> None:
    args = harness.arguments(__doc__, profile="py-spy one hook and one ingest run into this dir")
    harness.run_and_report(run, args.parse_args(), profile=profile_views)


if __name__ == "__main__":
    main()
