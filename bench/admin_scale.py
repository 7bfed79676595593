"""Benchmark 5: the admin at scale, with 1,000,000 deliveries and 2,000,000 attempts.

The pages an operator opens most, each requested through Django's test client (the whole
request: middleware, admin view, queries, template), logged in as a superuser and as a
station-scoped operator (a staff user who sees one station; every query of theirs carries
a station filter): the delivery log's default page, the log filtered to failed
deliveries, the log searched by a `webhook-id`, and by a number (job_id, model_id or
delivery id), one delivery's detail page with its attempts, the dashboard, and the
webhook list (each webhook's last delivery and 24 h success rate). Each page is requested
a few times to warm up, then REQUESTS times: median and max; its queries are counted on
one more request (CaptureQueriesContext). Target: median <= 300 ms, and no query per
row: at most one query more than on the small log (the EXPLAIN that gives the row estimate
of a filtered list above 100,000 rows, webhooks.admin.paginator.EstimatedCountPaginator; the
unfiltered list goes the other way, `reltuples` instead of a COUNT), and fewer queries than
rows on a page listing PER_ROW_CHECK_ROWS or more (the small log fills a page too).

Baseline, in the same run and on the same database: the same pages with a small log
(1,000 deliveries) before the bulk load. The log is written by server-side SQL
(`INSERT … SELECT … FROM generate_series`) in the shape the engine leaves it: 4 stations
of unequal size with 5 enabled webhooks each (2 push, now playing, encoder, stream alert;
push events go to both push webhooks), created_at spread over the last 30 days (so the
last 24 h hold about 1/30 of it), 85 % delivered after 1 to 3 attempts (in the last
hour, 5 % are still pending instead, a retry due), 10 % failed after 4, 5 % superseded
(no attempt): 2 attempts per delivery, with the headers and bodies the engine logs; each
station's Website and On-call pager (stream alerts: rare, so its last error may be days
old) failing, an Old widget disabled and without deliveries, a stream down;
the hourly DeliveryStat rollup rebuilt from the attempts as the engine counts them; then
VACUUM ANALYZE (bench/delivery_log.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stationhooks_bench_x \\
        .venv/bin/python -m bench.admin_scale
"""

import statistics
import time
from dataclasses import dataclass

from bench import harness

harness.setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Permission  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.delivery_log import load_log  # noqa: E402
from stations.models import Station, Stream  # noqa: E402
from webhooks.choices import DeliveryStatus  # noqa: E402
from webhooks.event_types import ENCODER_STATUS, NEWTRACK, PUSH, STREAM_ALERT  # noqa: E402
from webhooks.models import Delivery, DeliveryAttempt, Webhook  # noqa: E402

SMALL_DELIVERIES, LARGE_DELIVERIES = 1_000, 1_000_000
SPREAD_DAYS = 30
TARGET_MS = 300
WARMUP_REQUESTS, REQUESTS = 5, 15
ROWS_PER_PAGE = 100  # Django admin's default list_per_page
PER_ROW_CHECK_ROWS = 20

# Station shares of the log, in twentieths: 50 %, 30 %, 15 % and 5 %.
STATIONS = [("Capital FM", 10), ("Coast Radio", 6), ("Valley Sound", 3), ("Campus Radio", 1)]
OPERATOR_STATION = "Valley Sound"
WEBHOOKS = [
    ("Scheduler", PUSH.name),
    ("Website", PUSH.name),
    ("Now playing widget", NEWTRACK.name),
    ("Encoder monitor", ENCODER_STATUS.name),
    ("On-call pager", STREAM_ALERT.name),
]


def build_world() -> dict:
    """Stations with their webhooks (each station's Website and On-call pager failing,
    an Old widget disabled, without deliveries) and a stream (one down), a superuser, and
    an operator of OPERATOR_STATION."""
    stations = {}
    for name, _share in STATIONS:
        station = Station.objects.create(name=name, short_name=name.split()[0])
        stations[name] = station
        for hook_name, event_type in WEBHOOKS:
            Webhook.objects.create(
                station=station,
                name=hook_name,
                url=f"http://127.0.0.1:9/{station.pk}/{hook_name.split()[0].lower()}",
                event_type=event_type,
                key="bench-key-0001",
            )
        Webhook.objects.create(
            station=station,
            name="Old widget",
            url=f"http://127.0.0.1:9/{station.pk}/old",
            event_type=NEWTRACK.name,
            enabled=False,
            disabled_reason="The receiver answered 410 Gone.",
        )
        Stream.objects.create(station=station, name="Main", listening_url="http://127.0.0.1:9/s")
    Webhook.objects.filter(name="Website").update(consecutive_failures=2)
    Webhook.objects.filter(name="On-call pager").update(consecutive_failures=1)
    Stream.objects.filter(station=stations["Coast Radio"]).update(monitored=True, is_up=False)
    users = get_user_model().objects
    superuser = users.create_superuser("bench-admin", password="x")
    operator = users.create_user("bench-operator", password="x", is_staff=True)
    operator.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["stations", "webhooks"])
    )
    stations[OPERATOR_STATION].operators.add(operator)
    return {"superuser": superuser, "operator": operator, "stations": stations}


# --- the pages ----------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    rows: int | None  # rows the list must show; None: not a list
    must_show: str = ""


@dataclass(frozen=True)
class Timing:
    median_ms: float
    max_ms: float
    queries: int
    rows: int | None

    def no_query_per_row(self, small: "Timing") -> bool:
        if self.queries > small.queries + 1:
            return False
        return not self.rows or self.rows < PER_ROW_CHECK_ROWS or self.queries < self.rows


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed_rows(html: str) -> int:
    """Rows of a change list: each has one checkbox for the actions (whatever its theme)."""
    return html.count('name="_selected_action"')


def measure(client: Client, page: Page) -> Timing:
    for _ in range(WARMUP_REQUESTS):
        client.get(page.url)
    samples = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(page.url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (page.url, response.status_code)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(page.url)
    html = response.content.decode()
    if page.rows is not None:
        assert listed_rows(html) == page.rows, (page.name, listed_rows(html), page.rows)
    assert page.must_show in html, (page.name, page.must_show)
    return Timing(statistics.median(samples), max(samples), len(captured), page.rows)


def pages_for(user, world: dict) -> list[Page]:
    """The pages, with what each must list or show to `user`. The searched webhook-id and
    number and the detail page are those of a failed push delivery of the operator's
    station (4 attempts), so both users find them."""
    own = world["stations"][OPERATOR_STATION]
    visible = Delivery.objects.all() if user.is_superuser else Delivery.objects.filter(station=own)
    sample = Delivery.objects.filter(
        station=own, event_type=PUSH.name, status=DeliveryStatus.FAILED
    ).order_by("pk")
    target = sample.select_related("event")[sample.count() // 2]
    message_id, job_id = target.event.message_id, target.event.job_id
    by_number = (
        set(visible.filter(event__job_id=job_id).values_list("pk", flat=True))
        | set(visible.filter(event__model_id=job_id).values_list("pk", flat=True))
        | set(visible.filter(pk=job_id).values_list("pk", flat=True))
    )
    log = reverse("admin:webhooks_delivery_changelist")
    failed = visible.filter(status=DeliveryStatus.FAILED)
    return [
        Page("delivery log, default page", log, min(visible.count(), ROWS_PER_PAGE)),
        Page(
            "delivery log, status = failed",
            f"{log}?status__exact=failed",
            min(failed.count(), ROWS_PER_PAGE),
        ),
        Page(
            "delivery log, search by webhook-id",
            f"{log}?q={message_id}",
            visible.filter(event__message_id=message_id).count(),
        ),
        Page(
            "delivery log, search by job_id",
            f"{log}?q={job_id}",
            min(len(by_number), ROWS_PER_PAGE),
        ),
        Page(
            "delivery detail (4 attempts)",
            reverse("admin:webhooks_delivery_change", args=[target.pk]),
            None,
            message_id,
        ),
        Page("dashboard", reverse("admin:index"), None, f'sh-section-title">{own.name} '),
        Page(
            "webhook list",
            reverse("admin:webhooks_webhook_changelist"),
            (Webhook.objects if user.is_superuser else Webhook.objects.filter(station=own)).count(),
        ),
    ]


def measure_all(world: dict, clients: dict[str, Client]) -> dict[tuple[str, str], Timing]:
    return {
        (who, page.name): measure(client, page)
        for who, client in clients.items()
        for page in pages_for(world[who], world)
    }


def run() -> list[harness.Row]:
    world = build_world()
    clients = {who: client_for(world[who]) for who in ("superuser", "operator")}
    spread = {
        "stations_by_twentieth": [
            world["stations"][name].pk for name, share in STATIONS for _ in range(share)
        ],
        "spread_days": SPREAD_DAYS,
    }
    next_event, small_load_s = load_log(deliveries=SMALL_DELIVERIES, first_event=1, **spread)
    small_attempts = DeliveryAttempt.objects.count()
    before = measure_all(world, clients)
    _, large_load_s = load_log(
        deliveries=LARGE_DELIVERIES - SMALL_DELIVERIES, first_event=next_event, **spread
    )
    deliveries, attempts = Delivery.objects.count(), DeliveryAttempt.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        database_mb = cursor.fetchone()[0] / 1e6
    after = measure_all(world, clients)

    rows = [
        harness.Row(
            "5. delivery log written by SQL (+ stats, VACUUM ANALYZE)",
            f"{SMALL_DELIVERIES:,} deliveries, {small_attempts:,} attempts: {small_load_s:.1f} s",
            f"{deliveries:,} deliveries, {attempts:,} attempts, {database_mb:,.0f} MB: "
            f"{large_load_s:.0f} s",
            "",
            "-",
            harness.verdict(None),
        )
    ]
    for (who, name), small in before.items():
        large = after[who, name]
        rows.append(
            harness.Row(
                f"5. {name} ({who})",
                f"{small.median_ms:.0f} ms, {small.queries} queries ({SMALL_DELIVERIES:,})",
                f"{large.median_ms:.0f} ms (max {large.max_ms:.0f}), {large.queries} queries",
                f"{large.median_ms / small.median_ms:.2f}",
                f"<= {TARGET_MS} ms, no query per row",
                harness.verdict(large.median_ms <= TARGET_MS and large.no_query_per_row(small)),
            )
        )
    return rows


def main() -> None:
    harness.run_and_report(run, harness.arguments(__doc__).parse_args())


if __name__ == "__main__":
    main()
