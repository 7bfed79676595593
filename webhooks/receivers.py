"""Where the webhooks app listens: every `connect()` of the app is here.

Station data sends domain signals (stations.signals) inside the transaction of each
change, and Django runs these receivers synchronously, so the events and deliveries they
write commit or roll back with the change: a rolled-back change sends nothing, and a
committed one is never lost. Each receiver is one call to a service.
"""

from django_q.signals import post_spawn

from stations.signals import (
    PurgeRefused,
    encoder_status_changed,
    records_changed,
    records_purging,
    stream_checked,
    track_played,
)
from webhooks import alerts, due_poller, push
from webhooks.event_types import ENCODER_STATUS, NEWTRACK
from webhooks.publish import publish_event

__all__ = ["connect_receivers"]


def _records_changed(sender, changes, **_kwargs) -> None:
    push.publish_push_changes(changes)


def _records_purging(sender, model, rows, **_kwargs) -> None:
    push.hold_job_counters({station_id for _, station_id in rows})
    if told := push.webhooks_told_about(model=model, rows=rows):
        names = ", ".join(sorted(set().union(*told.values())))
        ids = ", ".join(str(pk) for pk in sorted(told))
        raise PurgeRefused(
            f"Not removed: {model} {ids} was announced to push webhook(s) {names}, whose "
            "receivers may fetch it after any message; soft-delete it instead (delete())."
        )


def _track_played(sender, play, **_kwargs) -> None:
    publish_event(NEWTRACK, play)


def _encoder_status_changed(sender, change, **_kwargs) -> None:
    publish_event(ENCODER_STATUS, change)


def _stream_checked(sender, stream, check, **_kwargs) -> None:
    alerts.evaluate_alert_policies(now=check.checked_at, stream=stream)


def connect_receivers() -> None:
    """Called from WebhooksConfig.ready()."""
    records_changed.connect(_records_changed, dispatch_uid="webhooks-records-changed")
    records_purging.connect(_records_purging, dispatch_uid="webhooks-records-purging")
    track_played.connect(_track_played, dispatch_uid="webhooks-track-played")
    encoder_status_changed.connect(_encoder_status_changed, dispatch_uid="webhooks-encoder")
    stream_checked.connect(_stream_checked, dispatch_uid="webhooks-stream-checked")
    # each worker process of the cluster runs the delivery engine (webhooks.due_poller)
    post_spawn.connect(due_poller.start_delivery_engine, dispatch_uid="delivery-engine")
