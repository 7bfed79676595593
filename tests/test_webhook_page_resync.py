"""Manual Resync from the push webhook's page: date-time pickers, a window read in the
station's time zone that starts as the station's current week, and a preview of what the
window holds before anything starts."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import BroadcastFactory, ProgramFactory, StationFactory, WebhookFactory
from webhooks.models import ResyncJob
from webhooks.resync import current_week

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def test_the_current_week_is_the_stations_own():
    # Sunday 23:30 UTC is already Monday 00:30 in Amsterdam: its week starts that Monday
    start, end = current_week(AMSTERDAM, datetime(2026, 2, 1, 23, 30, tzinfo=UTC))
    assert start == datetime(2026, 2, 2, tzinfo=AMSTERDAM)
    assert start.astimezone(UTC) == datetime(2026, 2, 1, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 2, 9, tzinfo=AMSTERDAM)
    # across a change to summer time the week still ends on Monday midnight, local
    start, end = current_week(AMSTERDAM, datetime(2026, 3, 25, 12, tzinfo=UTC))
    assert (start, end) == (
        datetime(2026, 3, 23, tzinfo=AMSTERDAM),
        datetime(2026, 3, 30, tzinfo=AMSTERDAM),
    )
    assert end - start == timedelta(days=7) and end.utcoffset() == timedelta(hours=2)


@pytest.fixture
def push_webhook():
    station = StationFactory(timezone="Europe/Amsterdam")
    return WebhookFactory(station=station, event_type="push")


def _form_url(webhook) -> str:
    return reverse("admin:webhooks_webhook_resync") + f"?ids={webhook.pk}"


def test_the_push_webhook_page_has_a_resync_button(admin_client, push_webhook):
    change = reverse("admin:webhooks_webhook_change", args=[push_webhook.pk])
    page = admin_client.get(change).content.decode()
    assert f'href="{_form_url(push_webhook)}" id="resync-webhook"' in page
    other = WebhookFactory(station=push_webhook.station)
    page = admin_client.get(reverse("admin:webhooks_webhook_change", args=[other.pk]))
    assert 'id="resync-webhook"' not in page.content.decode()


def test_the_form_states_its_zone_and_opens_on_the_stations_week(admin_client, push_webhook):
    page = admin_client.get(_form_url(push_webhook)).content.decode()
    assert "Times are read in <strong>Europe/Amsterdam</strong>" in page
    assert page.count('type="datetime-local"') == 2
    start, _ = current_week(AMSTERDAM, datetime.now(UTC))
    assert f'value="{start:%Y-%m-%dT00:00}"' in page


def test_preview_counts_the_window_and_start_reads_the_stations_zone(
    admin_client, push_webhook, capture_on_commit
):
    # given a program and broadcasts at the window's local edges
    station = push_webhook.station
    program = ProgramFactory(station=station)
    monday = datetime(2026, 2, 2, tzinfo=AMSTERDAM)  # 2026-02-01 23:00 UTC
    BroadcastFactory(station=station, program=program, start=monday)
    BroadcastFactory(station=station, program=program, start=monday - timedelta(minutes=1))
    window = {"window_start": "2026-02-02T00:00", "window_end": "2026-02-09T00:00"}
    # when the operator previews the window
    page = admin_client.post(_form_url(push_webhook), {**window, "preview": ""})
    # then it shows what each model holds, and nothing has started
    counts = dict(page.context["previews"][0][1])
    assert counts["broadcast"] == 1 and counts["program"] == 1
    assert not ResyncJob.objects.exists()
    # when it starts
    with capture_on_commit(execute=True):
        admin_client.post(_form_url(push_webhook), {**window, "start": ""})
    # then the job's window is Amsterdam's Monday, not UTC's
    job = ResyncJob.objects.get()
    assert job.window_start == monday and job.sent == 2  # the program and one broadcast
    (entry,) = LogEntry.objects.filter(object_id=str(push_webhook.pk))
    assert entry.get_change_message() == "Started a resync."


def test_a_viewer_cannot_open_the_form(client, django_user_model, push_webhook):
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhook"))
    client.force_login(viewer)
    response = client.get(_form_url(push_webhook))
    assert response.status_code == 403 and push_webhook.url not in response.content.decode()
