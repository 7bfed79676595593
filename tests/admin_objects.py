"""What the admin tests act on: an object of every model the admin site registers, at a
given station, and a logged-in client for each role. Shared by the permission matrix
(who may do what) and the admin fuzzing (no input answers 5xx)."""

from datetime import UTC, datetime

from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task

from stations.models import TrackPlay
from tests import factories
from tests.inbound_helpers import XTRA_NEWTRACK, as_bytes
from tests.webhook_helpers import publish_track_unqueued
from webhooks.models import InboundRequest, ResyncJob

__all__ = [
    "STAFF",
    "SUPERUSER",
    "SYSTEM_APPS",
    "client_of",
    "model_admin",
    "object_of",
    "rejected_request",
]

STAFF = "staff without a role"
SUPERUSER = "superuser"
# Admins of the system tables (users, groups, the task queue): superusers only.
SYSTEM_APPS = {"auth", "django_q"}


def rejected_request(station) -> InboundRequest:
    """A request to an inbound source that failed verification (no signature)."""
    source = factories.InboundSourceFactory(station=station)
    body = as_bytes(XTRA_NEWTRACK)
    Client().post(f"/in/{source.token}/", data=body, content_type="application/json")
    return InboundRequest.objects.get(source=source)


def _task(*, success: bool) -> Task:
    now = timezone.now()
    return Task.objects.create(
        id=f"task-{Task.objects.count()}-{success}",
        name=f"task {success}",
        func="django.utils.timezone.now",
        started=now,
        stopped=now,
        success=success,
    )


def object_of(label: str, station):
    """An object of `label` (a model's `app.model` label) at `station`, as the admin
    would list it; the system tables' objects belong to no station."""

    def webhook():
        return factories.WebhookFactory(station=station, name=f"{station.name} hook")

    made = {
        "stations.station": lambda: station,
        "stations.program": lambda: factories.ProgramFactory(station=station),
        "stations.broadcast": lambda: factories.BroadcastFactory(station=station),
        "stations.item": lambda: factories.ItemFactory(station=station),
        "stations.presenter": lambda: factories.PresenterFactory(station=station),
        "stations.contact": lambda: factories.ContactFactory(station=station),
        "stations.campaign": lambda: factories.CampaignFactory(station=station),
        "stations.stream": lambda: factories.StreamFactory(station=station),
        "stations.encoder": lambda: factories.EncoderFactory(station=station),
        "stations.streamcheck": lambda: factories.StreamCheckFactory(
            stream=factories.StreamFactory(station=station)
        ),
        "stations.trackplay": lambda: TrackPlay.objects.create(
            station=station, title="Hey Jude", source="api"
        ),
        "stations.apikey": lambda: factories.ApiKeyFactory(station=station),
        "webhooks.webhook": lambda: factories.WebhookFactory(
            station=station, event_type="push", url="http://127.0.0.1:9/hook"
        ),
        "webhooks.alertpolicy": lambda: factories.AlertPolicyFactory(station=station),
        "webhooks.inboundsource": lambda: factories.InboundSourceFactory(station=station),
        "webhooks.inboundrequest": lambda: rejected_request(station),
        "webhooks.delivery": lambda: publish_track_unqueued(webhook()).deliveries.get(),
        "webhooks.resyncjob": lambda: ResyncJob.objects.create(
            webhook=webhook(),
            status=ResyncJob.Status.DONE,
            window_start=datetime(2026, 2, 2, tzinfo=UTC),
            window_end=datetime(2026, 2, 9, tzinfo=UTC),
        ),
        "auth.user": lambda: User.objects.create_user(f"listener-{User.objects.count()}"),
        "auth.group": lambda: Group.objects.create(name=f"Group {Group.objects.count()}"),
        "django_q.schedule": lambda: Schedule.objects.create(
            name=f"schedule {Schedule.objects.count()}", func="django.utils.timezone.now"
        ),
        "django_q.success": lambda: _task(success=True),
        "django_q.failure": lambda: _task(success=False),
        "django_q.ormq": lambda: OrmQ.objects.create(
            key="default", payload="x", lock=timezone.now()
        ),
    }
    return made[label]()


def model_admin(label: str) -> admin.ModelAdmin:
    return next(a for m, a in admin.site._registry.items() if m._meta.label_lower == label)


def client_of(role: str, own_station, django_user_model, client: Client) -> Client:
    """`client` logged in as a staff user of `role` (a role group's name, STAFF for none,
    or SUPERUSER) who operates `own_station`."""
    user = django_user_model.objects.create_user(
        "user", password="x", is_staff=True, is_superuser=role == SUPERUSER
    )
    if role not in (STAFF, SUPERUSER):
        user.groups.add(Group.objects.get(name=role))
    own_station.operators.add(user)
    client.force_login(user)
    return client
