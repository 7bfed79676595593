"""Manual Resync: `create` messages with `resync: true` from the operator, for everything
the webhook watches, with Broadcasts, Items and Campaigns limited to the start window."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.factories import (
    BroadcastFactory,
    CampaignFactory,
    ContactFactory,
    ItemFactory,
    PresenterFactory,
    ProgramFactory,
    StationFactory,
    WebhookFactory,
)
from webhooks.event_types import NEWTRACK, PUSH
from webhooks.models import Event, ResyncJob
from webhooks.resync import ResyncRefused, start_resync

pytestmark = pytest.mark.django_db

WINDOW_START = datetime(2026, 2, 2, 0, 0, tzinfo=UTC)
WINDOW_END = datetime(2026, 2, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def station():
    return StationFactory()


@pytest.fixture
def schedule(station):
    """Objects on, inside and outside the window edges, plus deleted ones."""
    program = ProgramFactory(station=station)
    inside = BroadcastFactory(station=station, program=program, start=WINDOW_START)
    at_end = BroadcastFactory(station=station, program=program, start=WINDOW_END)
    before = BroadcastFactory(
        station=station, program=program, start=WINDOW_START - timedelta(seconds=1)
    )
    items = {
        "at_start": ItemFactory(station=station, broadcast=inside, start=WINDOW_START),
        "inside": ItemFactory(
            station=station, broadcast=inside, start=WINDOW_START + timedelta(hours=1)
        ),
        "at_end": ItemFactory(station=station, broadcast=at_end, start=WINDOW_END),
        "before": ItemFactory(station=station, broadcast=before, start=before.start),
        "deleted": ItemFactory(station=station, broadcast=inside, start=WINDOW_START),
    }
    items["deleted"].delete()
    campaign = CampaignFactory(station=station, start=WINDOW_END - timedelta(days=1))
    CampaignFactory(station=station, start=WINDOW_END + timedelta(days=1))
    presenter, contact = PresenterFactory(station=station), ContactFactory(station=station)
    gone = ContactFactory(station=station)
    gone.delete()
    return {
        "program": program,
        "broadcasts": [inside],
        "items": [items["at_start"], items["inside"]],
        "campaign": campaign,
        "presenter": presenter,
        "contact": contact,
    }


def _resync_messages() -> list[dict]:
    bodies = [json.loads(b) for b in Event.objects.values_list("body", flat=True)]
    return [b for b in bodies if b["resync"]]


def _run(webhook, user, capture_on_commit):
    with capture_on_commit(execute=True):
        return start_resync(
            webhook=webhook, started_by=user, window_start=WINDOW_START, window_end=WINDOW_END
        )


def test_resync_sends_creates_for_everything_in_scope(
    station, schedule, admin_user, capture_on_commit
):
    # given a push webhook, and another one that must get nothing
    webhook = WebhookFactory(station=station, event_type=PUSH.name)
    bystander = WebhookFactory(station=station, event_type=PUSH.name)
    Event.objects.all().delete()
    # when
    job = _run(webhook, admin_user, capture_on_commit)
    # then
    sent = _resync_messages()
    assert {(m["model"], m["model_id"]) for m in sent} == {
        ("program", schedule["program"].pk),
        ("presenter", schedule["presenter"].pk),
        ("contact", schedule["contact"].pk),
        ("broadcast", schedule["broadcasts"][0].pk),
        ("item", schedule["items"][0].pk),
        ("item", schedule["items"][1].pk),
        ("campaign", schedule["campaign"].pk),
    }
    for message in sent:
        assert message["action"] == "create" and message["resync"] is True
        assert message["user_id"] == admin_user.pk and message["api_id"] is None
        assert message["station_id"] == station.pk
    assert not Event.objects.filter(deliveries__webhook=bystander).exists()
    job.refresh_from_db()
    assert job.status == ResyncJob.Status.DONE
    assert job.sent == job.total == 7
    assert job.counts == {
        "program": 1,
        "presenter": 1,
        "contact": 1,
        "broadcast": 1,
        "item": 2,
        "campaign": 1,
    }


def test_resync_respects_the_models_the_webhook_watches(
    station, schedule, admin_user, capture_on_commit
):
    webhook = WebhookFactory(station=station, event_type=PUSH.name, models=["item", "contact"])
    Event.objects.all().delete()
    _run(webhook, admin_user, capture_on_commit)
    assert sorted(m["model"] for m in _resync_messages()) == ["contact", "item", "item"]


def test_a_second_resync_of_the_same_webhook_is_refused_while_one_runs(station, admin_user):
    webhook = WebhookFactory(station=station, event_type=PUSH.name)
    start_resync(
        webhook=webhook, started_by=admin_user, window_start=WINDOW_START, window_end=WINDOW_END
    )
    with pytest.raises(ResyncRefused, match="already running"):
        start_resync(
            webhook=webhook, started_by=admin_user, window_start=WINDOW_START, window_end=WINDOW_END
        )


def test_resync_is_refused_for_other_triggers(station, admin_user):
    webhook = WebhookFactory(station=station, event_type=NEWTRACK.name)
    with pytest.raises(ResyncRefused, match="not a push webhook"):
        start_resync(
            webhook=webhook, started_by=admin_user, window_start=WINDOW_START, window_end=WINDOW_END
        )


def test_a_real_receiver_gets_the_resync(httpserver, station, admin_user, capture_on_commit):
    httpserver.expect_request("/push").respond_with_data("ok")
    ContactFactory.create_batch(3, station=station)
    webhook = WebhookFactory(station=station, event_type=PUSH.name, url=httpserver.url_for("/push"))
    _run(webhook, admin_user, capture_on_commit)
    received = [json.loads(request.get_data()) for request, _ in httpserver.log]
    assert len(received) == 3 and all(m["resync"] for m in received)


def test_admin_flow_form_defaults_start_and_progress(
    admin_client, admin_user, station, schedule, capture_on_commit
):
    # given
    webhook = WebhookFactory(station=station, event_type=PUSH.name)
    changelist = reverse("admin:webhooks_webhook_changelist")
    # when the operator picks the action, the window form opens with a week
    response = admin_client.post(
        changelist, {"action": "manual_resync", "_selected_action": [webhook.pk]}
    )
    form_url = response["Location"]
    form_page = admin_client.get(form_url)
    initial = form_page.context["form"].initial
    assert initial["window_end"] - initial["window_start"] == timedelta(days=7)
    # a window that ends before it starts is refused with a clear error
    bad = admin_client.post(
        form_url, {"window_start": "2026-02-09 00:00:00", "window_end": "2026-02-02 00:00:00"}
    )
    assert "The window must end after it starts." in bad.content.decode()
    # when confirmed
    with capture_on_commit(execute=True):
        done = admin_client.post(
            form_url,
            {
                "window_start": "2026-02-02 00:00:00",
                "window_end": "2026-02-09 00:00:00",
                "start": "",
            },
            follow=True,
        )
    # then the job ran and the list shows it finished with its progress
    assert f"Resync of {webhook.name} started." in [str(m) for m in get_messages(done.wsgi_request)]
    page = admin_client.get(reverse("admin:webhooks_resyncjob_changelist")).content.decode()
    assert "7 / 7 (100 %)" in page and "done" in page
    assert 'http-equiv="refresh"' not in page


def test_admin_refuses_a_second_resync_with_a_message(admin_client, admin_user, station):
    webhook = WebhookFactory(station=station, event_type=PUSH.name)
    start_resync(
        webhook=webhook, started_by=admin_user, window_start=WINDOW_START, window_end=WINDOW_END
    )
    url = reverse("admin:webhooks_webhook_resync") + f"?ids={webhook.pk}"
    response = admin_client.post(
        url,
        {"window_start": "2026-02-02 00:00", "window_end": "2026-02-09 00:00", "start": ""},
        follow=True,
    )
    assert any("already running" in str(m) for m in get_messages(response.wsgi_request))
    page = admin_client.get(reverse("admin:webhooks_resyncjob_changelist")).content.decode()
    assert 'http-equiv="refresh"' in page  # the list keeps itself up to date while it runs
