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
VACUUM ANALYZE. The load takes 30-50 s on 2 shared cores.

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

from stations.models import Station, Stream  # noqa: E402
from webhooks.choices import DeliveryStatus  # noqa: E402
from webhooks.event_types import ENCODER_STATUS, NEWTRACK, PUSH, STREAM_ALERT  # noqa: E402
from webhooks.models import Delivery, DeliveryAttempt, Event, Webhook  # noqa: E402

SMALL_DELIVERIES, LARGE_DELIVERIES = 1_000, 1_000_000
DELIVERIES_PER_EVENT = 1.6  # 3 in 5 events are push messages, each to 2 push webhooks
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

# (status, attempts) of a delivery by its place n in the load: slot (7 n + h) mod 20, h a
# hash of n div 20, so each run of 20 deliveries has every slot once (exactly 2 attempts
# per delivery) while a webhook's or event type's deliveries get every outcome.
OUTCOMES = (
    [(DeliveryStatus.FAILED, 4)] * 2
    + [(DeliveryStatus.SUPERSEDED, 0)]
    + [(DeliveryStatus.PENDING, 2)]  # pending only within the last hour, else delivered
    + [(DeliveryStatus.DELIVERED, 1)] * 6
    + [(DeliveryStatus.DELIVERED, 2)] * 6
    + [(DeliveryStatus.DELIVERED, 3)] * 4
)
RETRY_OFFSETS_S = [0, 10, 60, 300, 900]  # attempt n starts this long after the first is due


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


# --- the log, written by the database ---------------------------------------------------

EVENTS_SQL = """
WITH numbered AS (
    SELECT i,
           now() - make_interval(days => %(days)s)
               + make_interval(secs => %(days)s * 86400.0 * (i - %(first)s + 0.5) / %(count)s)
               AS at,
           CASE WHEN i %% 5 < 3 THEN 'push'
                WHEN i %% 5 = 3 THEN 'station.studio.newtrack'
                WHEN abs(hashint4(i + 7)) %% 200 = 0 THEN 'stream.alert'
                ELSE 'station.encoder.statuschange' END AS event_type,
           (%(station_of_bucket)s::bigint[])[1 + abs(hashint4(i)) %% 20] AS station_id
    FROM generate_series(%(first)s, %(last)s) AS i
)
INSERT INTO webhooks_event
    (station_id, event_type, body, message_id, job_id, model_id, is_test, created_at)
SELECT n.station_id, n.event_type,
       CASE n.event_type
       WHEN 'push' THEN json_build_object(
           'action', (ARRAY['create', 'update', 'update', 'delete'])[1 + n.i %% 4],
           'model', (ARRAY['broadcast', 'item', 'program', 'presenter'])[1 + n.i / 5 %% 4],
           'model_id', 1000 + n.i %% 5000, 'job_id', n.i, 'resync', false,
           'station_id', n.station_id, 'user_id', null, 'api_id', 1)::text
       WHEN 'station.studio.newtrack' THEN json_build_object(
           'event', n.event_type, 'timestamp', to_char(n.at AT TIME ZONE 'UTC',
                                                'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'station', json_build_object('id', st.public_id, 'name', st.name),
           'track', json_build_object('id', 'med_' || substr(md5(n.i::text), 1, 12),
                                      'title', 'Track ' || n.i %% 997,
                                      'artist', 'Artist ' || n.i %% 311,
                                      'album', 'Album ' || n.i %% 101,
                                      'duration', 120 + n.i %% 300))::text
       WHEN 'station.encoder.statuschange' THEN json_build_object(
           'event', n.event_type, 'timestamp', to_char(n.at AT TIME ZONE 'UTC',
                                                'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'station', json_build_object('id', st.public_id, 'name', st.name),
           'encoder', json_build_object('id', 'enc_0000000' || n.station_id,
                                        'name', 'Studio encoder',
                                        'status', 'connected',
                                        'previousStatus', 'disconnected'))::text
       ELSE json_build_object(
           'timestamp', extract(epoch FROM n.at)::bigint,
           'summary', st.name || ' Alert: Main is down',
           'event', json_build_object(
               'type', 'down',
               'stream', json_build_object('id', gen_random_uuid(), 'name', 'Main',
                                           'listening_url', 'http://127.0.0.1:9/s'),
               'station', json_build_object('id', st.uuid, 'name', st.name)))::text
       END,
       'msg_' || md5('bench-' || n.i),
       CASE WHEN n.event_type = 'push' THEN n.i END,
       CASE WHEN n.event_type = 'push' THEN 1000 + n.i %% 5000 END,
       false, n.at
FROM numbered n JOIN stations_station st ON st.id = n.station_id
"""

DELIVERIES_SQL = """
WITH fanned AS (
    SELECT e.id AS event_id, w.id AS webhook_id, e.station_id, e.event_type, e.created_at,
           row_number() OVER () - 1 AS n
    FROM webhooks_event e
    JOIN webhooks_webhook w
      ON w.station_id = e.station_id AND w.event_type = e.event_type AND w.enabled
    WHERE e.id > %(after_event)s
), shaped AS (
    SELECT f.*, o.attempts,
           CASE WHEN o.status = 'pending' AND f.created_at < now() - interval '1 hour'
                THEN 'delivered' ELSE o.status END AS status
    FROM fanned f
    JOIN unnest(%(statuses)s::text[], %(attempts)s::int[]) WITH ORDINALITY
         AS o(status, attempts, ord)
      ON o.ord = 1 + (7 * f.n + abs(hashint4((f.n / 20)::int))) %% 20
)
INSERT INTO webhooks_delivery
    (event_id, webhook_id, station_id, event_type, status, attempt_count, auto_retry,
     scheduled_at, coalesce_key, next_attempt_at, lease_expires_at, last_status_code,
     last_error, created_at, updated_at, finished_at)
SELECT event_id, webhook_id, station_id, type, status, attempts, true,
       created_at, '',
       CASE WHEN status = 'pending'
            THEN created_at + make_interval(secs => (%(offsets)s::int[])[attempts + 1]) END,
       NULL,
       CASE status WHEN 'delivered' THEN 200 WHEN 'superseded' THEN NULL ELSE 503 END,
       CASE status WHEN 'failed' THEN 'HTTP 503' WHEN 'pending' THEN 'HTTP 503' ELSE '' END,
       created_at,
       created_at + make_interval(secs => (%(offsets)s::int[])[greatest(attempts, 1)] + 0.2),
       CASE WHEN status <> 'pending'
            THEN created_at + make_interval(secs => (%(offsets)s::int[])[greatest(attempts, 1)]
                                                    + 0.2) END
FROM shaped
"""

ATTEMPTS_SQL = """
INSERT INTO webhooks_deliveryattempt
    (delivery_id, number, manual, started_at, duration_ms, request_headers,
     response_status, response_headers, response_body, error)
SELECT d.id, n, false, t.started_at, 40 + (d.id + n) %% 160,
       jsonb_build_object(
           'Content-Type', 'application/json',
           'User-Agent', 'StationHooks/1.0',
           'webhook-id', e.message_id,
           'webhook-timestamp', extract(epoch FROM t.started_at)::bigint::text,
           'api-key', '…0001',
           'X-Webhook-Signature', t.signature || t.signature,
           'webhook-signature', 'v1,' || encode(decode(t.signature || t.signature, 'hex'),
                                               'base64')),
       t.code,
       CASE WHEN t.code = 200
            THEN '{"Content-Type": "text/plain", "Content-Length": "2"}'::jsonb
            ELSE '{"Content-Type": "text/html", "Content-Length": "53", "Retry-After": "30"}'::jsonb
       END,
       CASE WHEN t.code = 200 THEN 'ok'
            ELSE '<html><body>503 Service Unavailable</body></html>' END,
       ''
FROM webhooks_delivery d
JOIN webhooks_event e ON e.id = d.event_id
CROSS JOIN LATERAL generate_series(1, d.attempt_count) AS n
CROSS JOIN LATERAL (
    SELECT d.scheduled_at + make_interval(secs => (%(offsets)s::int[])[n]) AS started_at,
           CASE WHEN d.status = 'delivered' AND n = d.attempt_count THEN 200 ELSE 503 END AS code,
           md5(e.message_id || n) AS signature
) AS t
WHERE d.id > %(after_delivery)s
"""

# As webhooks.stats.count_outcomes counts them, by the hour an attempt was recorded: the
# last attempt of a delivered or failed delivery is its outcome, every other one a retry.
STATS_SQL = """
INSERT INTO webhooks_deliverystat (webhook_id, station_id, hour, delivered, failed, retried)
SELECT d.webhook_id, d.station_id, date_trunc('hour', a.started_at),
       count(*) FILTER (WHERE a.number = d.attempt_count AND d.status = 'delivered'),
       count(*) FILTER (WHERE a.number = d.attempt_count AND d.status = 'failed'),
       count(*) FILTER (WHERE NOT (a.number = d.attempt_count
                                   AND d.status IN ('delivered', 'failed')))
FROM webhooks_deliveryattempt a JOIN webhooks_delivery d ON d.id = a.delivery_id
GROUP BY 1, 2, 3
"""


LOG_TABLES = ["webhooks_event", "webhooks_delivery", "webhooks_deliveryattempt"]

# Bulk-load settings of this session only: the rows are consistent by construction, so
# foreign-key triggers are skipped (`replica`), and index builds get more memory.
BULK_LOAD_SETTINGS = {
    "session_replication_role": "replica",
    "synchronous_commit": "off",
    "maintenance_work_mem": "'256MB'",
    "work_mem": "'64MB'",
}


def _max_id(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the log tables' indexes that back no constraint
    (the product's indexes and Django's foreign-key indexes)."""
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [LOG_TABLES],
    )
    return cursor.fetchall()


def load_log(*, deliveries: int, first_event: int) -> tuple[int, float]:
    """Add `deliveries` deliveries (and their events and attempts) to the log, rebuild the
    hourly stats, VACUUM ANALYZE. Returns (the next event number, seconds it took).

    Like any bulk load, the secondary indexes are dropped first and built again after,
    from their own definitions (the schema ends up the same)."""
    started = time.perf_counter()
    events = round(deliveries / DELIVERIES_PER_EVENT)
    after_event, after_delivery = _max_id(Event), _max_id(Delivery)
    offsets = RETRY_OFFSETS_S
    with connection.cursor() as cursor:
        for name, value in BULK_LOAD_SETTINGS.items():
            cursor.execute(f"SET {name} = {value}")
        indexes = _secondary_indexes(cursor)
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(
            EVENTS_SQL,
            {
                "station_of_bucket": [
                    Station.objects.get(name=name).pk
                    for name, share in STATIONS
                    for _ in range(share)
                ],
                "days": SPREAD_DAYS,
                "count": events,
                "first": first_event,
                "last": first_event + events - 1,
            },
        )
        cursor.execute(
            DELIVERIES_SQL,
            {
                "after_event": after_event,
                "statuses": [str(status) for status, _ in OUTCOMES],
                "attempts": [attempts for _, attempts in OUTCOMES],
                "offsets": offsets,
            },
        )
        cursor.execute(ATTEMPTS_SQL, {"after_delivery": after_delivery, "offsets": offsets})
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("DELETE FROM webhooks_deliverystat")
        cursor.execute(STATS_SQL)
        for name in BULK_LOAD_SETTINGS:
            cursor.execute(f"RESET {name}")
        cursor.execute(f"VACUUM ANALYZE {', '.join(LOG_TABLES)}, webhooks_deliverystat")
    return first_event + events, time.perf_counter() - started


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
    return html.count('class="action-select"')


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
        Page("dashboard", reverse("admin:index"), None, f"<h2>{own.name}</h2>"),
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
    next_event, small_load_s = load_log(deliveries=SMALL_DELIVERIES, first_event=1)
    small_attempts = DeliveryAttempt.objects.count()
    before = measure_all(world, clients)
    _, large_load_s = load_log(
        deliveries=LARGE_DELIVERIES - SMALL_DELIVERIES, first_event=next_event
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
