"""A delivery log in the shape the engine leaves it, written by the database itself
(`INSERT … SELECT … FROM generate_series`): events of every type with their bodies,
deliveries with their outcomes, attempts with the headers and bodies the engine logs, and
the hourly stats rebuilt from the attempts as the engine counts them. For benchmark 5
(bench/admin_scale.py), which needs a million deliveries in under a minute."""

import time

from django.db import connection

from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery, Event

__all__ = ["DELIVERIES_PER_EVENT", "load_log"]

DELIVERIES_PER_EVENT = 1.6  # 3 in 5 events are push messages, each to 2 push webhooks

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
SELECT event_id, webhook_id, station_id, event_type, status, attempts, true,
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


def load_log(
    *, deliveries: int, first_event: int, stations_by_twentieth: list[int], spread_days: int
) -> tuple[int, float]:
    """Add `deliveries` deliveries (and their events and attempts) to the log, spread over
    the last `spread_days` and over the stations (`stations_by_twentieth`: 20 station ids,
    a station's share of the log being how often it is listed), rebuild the hourly stats,
    VACUUM ANALYZE. Returns (the next event number, seconds it took).

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
                "station_of_bucket": stations_by_twentieth,
                "days": spread_days,
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
