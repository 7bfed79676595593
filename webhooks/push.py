"""Push messages (RadioManager Push API) for changes of the six station models.

Station data announces its changes (`records_changed`, merged per object within a
request: stations.changes); webhooks/receivers.py hands them here, still in the
transaction of the change, and each becomes one
`{"action", "model", "model_id", "job_id", "resync", "station_id", "user_id", "api_id"}`
message to every enabled push webhook of its station that watches its model.

`job_id` comes from a per-station counter whose row stays locked until commit, so
job_ids are unique and increase in commit order.
"""

import json
from dataclasses import replace

from django.db import connection, transaction

from stations.changes import Change
from webhooks.event_types import PUSH, PushJob
from webhooks.models import Delivery, Event, JobCounter, Webhook
from webhooks.publish import Draft, publish_batch
from webhooks.selectors import webhooks_for

__all__ = ["hold_job_counters", "next_job_ids", "publish_push_changes", "webhooks_told_about"]


def next_job_ids(station_id: int, count: int) -> range:
    """Reserve `count` consecutive job_ids for a station; the counter row stays locked
    until the caller's transaction ends."""
    table = connection.ops.quote_name(JobCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (station_id, last_job_id) VALUES (%s, %s) "
            f"ON CONFLICT (station_id) DO UPDATE "
            f"SET last_job_id = {table}.last_job_id + EXCLUDED.last_job_id "
            f"RETURNING last_job_id",
            [station_id, count],
        )
        last = cursor.fetchone()[0]
    return range(last - count + 1, last + 1)


def hold_job_counters(station_ids) -> None:
    """Lock the stations' counters until the caller's transaction ends: push messages
    being published for them are committed first, and the next wait (in id order, so two
    holders cannot deadlock)."""
    for station_id in sorted(station_ids):
        next_job_ids(station_id, 0)


def publish_push_changes(
    changes: list[Change],
    *,
    resync: bool = False,
    only_webhooks: list[Webhook] | None = None,
    queue_work: bool = True,
) -> int:
    """Publish one message per change to every enabled push webhook of its station that
    watches its model (or to `only_webhooks`, for a resync). Returns messages written."""
    if not changes:
        return 0
    written = 0
    with transaction.atomic(savepoint=False):
        for station_id in dict.fromkeys(c.station_id for c in changes):
            hooks = only_webhooks
            if hooks is None:
                hooks = list(webhooks_for(station_id, PUSH.name))
            unnumbered = (
                PushJob(change, job_id=0, resync=resync)
                for change in changes
                if change.station_id == station_id
            )
            routed = [(job, [w for w in hooks if PUSH.accepts(w, job)]) for job in unnumbered]
            routed = [(job, targets) for job, targets in routed if targets]
            if not routed:
                continue
            job_ids = next_job_ids(station_id, len(routed))
            jobs = [
                (replace(job, job_id=job_id), targets)
                for (job, targets), job_id in zip(routed, job_ids, strict=True)
            ]
            publish_batch(
                (
                    Draft(
                        station_id=station_id,
                        event_type=PUSH.name,
                        payload=PUSH.build(job),
                        webhooks=targets,
                        actor=job.change.actor,
                        job_id=job.job_id,
                        model_id=job.change.model_id,
                        coalesce_key=PUSH.coalesce_key(job),
                    )
                    for job, targets in jobs
                ),
                queue_work=queue_work,
            )
            written += len(routed)
    return written


def webhooks_told_about(*, model: str, rows: list[tuple[int, int]]) -> dict[int, set[str]]:
    """The push webhooks each of `rows` (pk, station_id) of `model` was announced to (a
    delivery of a push message about it, sent or not, that the delivery log still holds),
    by pk; rows nobody was told about are left out. Test events are not about records."""
    told: dict[int, set[str]] = {}
    chunk = 500
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        events = Event.objects.filter(
            event_type=PUSH.name,
            is_test=False,
            station_id__in={station_id for _, station_id in part},
            model_id__in=[pk for pk, _ in part],
        ).values_list("pk", "body")
        about = [pk for pk, body in events if json.loads(body).get("model") == model]
        sent = Delivery.objects.filter(event_id__in=about).values_list(
            "event__model_id", "webhook__name"
        )
        for model_id, name in sent:
            told.setdefault(model_id, set()).add(name)
    return told
