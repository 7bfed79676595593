"""Manual Resync (RadioManager Push API): assume the receiver is empty and send it a
`create` message, with `resync: true` and the operator as `user_id`, for every live
Program, Presenter and Contact of the station, and for the Broadcasts, Items and
Campaigns whose `start` lies in the window (`window_start <= start < window_end`) —
only to the webhook the job is for, only for the models it watches.

The job reads ids in keyset-paginated chunks and publishes each chunk with bulk inserts in
its own transaction, so memory stays flat at any size and progress is visible as it goes.
"""

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from stations.actors import Actor
from stations.changes import Change
from stations.choices import PushAction, PushModel
from stations.models import Broadcast, Campaign, Contact, Item, Presenter, Program
from webhooks import queueing
from webhooks.event_types import PUSH
from webhooks.models import ACTIVE_RESYNC_STATUSES, ResyncJob, Webhook
from webhooks.push import publish_push_changes

__all__ = [
    "ResyncRefused",
    "current_week",
    "resync_counts",
    "resync_querysets",
    "run_resync",
    "start_resync",
]

logger = logging.getLogger("stationhooks.resync")

CHUNK_SIZE = 1000
STALE_AFTER = timedelta(minutes=10)
MODELS = {
    PushModel.PROGRAM: Program,
    PushModel.PRESENTER: Presenter,
    PushModel.CONTACT: Contact,
    PushModel.BROADCAST: Broadcast,
    PushModel.ITEM: Item,
    PushModel.CAMPAIGN: Campaign,
}
WINDOWED = {PushModel.BROADCAST, PushModel.ITEM, PushModel.CAMPAIGN}


class ResyncRefused(Exception):
    """The resync cannot start; the message says why, for the operator."""


def _retire_stale_jobs(webhook: Webhook, now: datetime) -> None:
    """A job whose worker died shows no progress; it must not block resyncs forever."""
    ResyncJob.objects.filter(
        webhook=webhook,
        status__in=ACTIVE_RESYNC_STATUSES,
        progress_at__lt=now - STALE_AFTER,
    ).update(status=ResyncJob.Status.FAILED, error="No progress for 10 minutes.", finished_at=now)


def start_resync(
    *, webhook: Webhook, started_by, window_start: datetime, window_end: datetime
) -> ResyncJob:
    """Record the job and queue it after commit. Refused for non-push webhooks, empty
    windows, and while another resync of the same webhook is queued or running."""
    if webhook.event_type != PUSH.name:
        raise ResyncRefused(f"{webhook.name} is not a push webhook.")
    if window_end <= window_start:
        raise ResyncRefused("The window must end after it starts.")
    now = timezone.now()
    _retire_stale_jobs(webhook, now)
    try:
        with transaction.atomic():
            job = ResyncJob.objects.create(
                webhook=webhook,
                started_by=started_by,
                window_start=window_start,
                window_end=window_end,
                progress_at=now,
            )
    except IntegrityError:
        raise ResyncRefused(
            f"A resync of {webhook.name} is already running; wait for it to finish."
        ) from None
    transaction.on_commit(lambda: queueing.queue_resync(job.pk))
    return job


def resync_querysets(job: ResyncJob) -> dict[str, object]:
    """What the job sends, per model, in the order RadioManager's resync sends it."""
    webhook = job.webhook
    querysets = {}
    for model, model_class in MODELS.items():
        if not webhook.watches(model):
            continue
        queryset = model_class.objects.filter(station_id=webhook.station_id)
        if model in WINDOWED:
            queryset = queryset.filter(start__gte=job.window_start, start__lt=job.window_end)
        querysets[model] = queryset
    return querysets


def resync_counts(*, webhook: Webhook, window_start: datetime, window_end: datetime) -> dict:
    """How many `create` messages of each model a resync of this window would send now
    (the form's preview, before anything starts)."""
    job = ResyncJob(webhook=webhook, window_start=window_start, window_end=window_end)
    return {model: queryset.count() for model, queryset in resync_querysets(job).items()}


def current_week(zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 of the week `now` is in, in `zone` (the
    station's: a resync's default window is the station's week, not UTC's)."""
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    start = datetime.combine(monday, time(), tzinfo=zone)
    return start, datetime.combine(monday + timedelta(days=7), time(), tzinfo=zone)


def _id_chunks(queryset, size: int):
    last = 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]


def run_resync(job_id: int) -> None:
    job = ResyncJob.objects.select_related("webhook").get(pk=job_id)
    querysets = resync_querysets(job)
    now = timezone.now()
    job.status, job.started_at, job.progress_at = ResyncJob.Status.RUNNING, now, now
    job.total = sum(qs.count() for qs in querysets.values())
    job.counts = {model: 0 for model in querysets}
    job.save(update_fields=["status", "started_at", "progress_at", "total", "counts"])
    actor = Actor(user_id=job.started_by_id)
    try:
        for model, queryset in querysets.items():
            for ids in _id_chunks(queryset, CHUNK_SIZE):
                with transaction.atomic():
                    publish_push_changes(
                        [
                            Change(model, pk, job.webhook.station_id, PushAction.CREATE, actor)
                            for pk in ids
                        ],
                        resync=True,
                        only_webhooks=[job.webhook],
                        queue_work=False,
                    )
                    job.counts[model] += len(ids)
                    ResyncJob.objects.filter(pk=job.pk).update(
                        sent=F("sent") + len(ids), counts=job.counts, progress_at=timezone.now()
                    )
                    queueing.announce_due_deliveries()
    except Exception as exc:
        logger.exception("Resync %s failed", job.pk)
        ResyncJob.objects.filter(pk=job.pk).update(
            status=ResyncJob.Status.FAILED, error=str(exc)[:1000], finished_at=timezone.now()
        )
        raise
    ResyncJob.objects.filter(pk=job.pk).update(
        status=ResyncJob.Status.DONE, finished_at=timezone.now()
    )
