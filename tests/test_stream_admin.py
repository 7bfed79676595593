"""The admin's stream pages (state, last change, 24 h / 7 d uptime without N+1 queries),
the read-only check log, and the alert policy form's station checks."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    AlertPolicyFactory,
    StationFactory,
    StreamCheckFactory,
    StreamFactory,
    WebhookFactory,
)
from webhooks.models import AlertPolicy, AlertState

pytestmark = pytest.mark.django_db

STREAMS = reverse("admin:stations_stream_changelist")
CHECKS = reverse("admin:stations_streamcheck_changelist")
POLICY_ADD = reverse("admin:webhooks_alertpolicy_add")


def add_checks(stream, *, up: int, down: int, ago: timedelta) -> None:
    at = timezone.now() - ago
    for i in range(up + down):
        StreamCheckFactory(stream=stream, is_up=i < up, checked_at=at - timedelta(seconds=i))


def test_stream_list_shows_state_and_uptime(admin_client):
    # given: 3 of 4 checks up in the last day, plus 1 down check 3 days ago
    now = timezone.now()
    flaky = StreamFactory(name="Flaky", is_up=False, state_changed_at=now, last_checked_at=now)
    add_checks(flaky, up=3, down=1, ago=timedelta(hours=1))
    add_checks(flaky, up=0, down=1, ago=timedelta(days=3))
    add_checks(flaky, up=1, down=0, ago=timedelta(days=8))  # outside both windows
    StreamFactory(name="Fresh")
    # when
    page = admin_client.get(STREAMS).content.decode()
    # then
    row = page[page.index("Flaky") :]
    row = row[: row.index("</tr>")]
    assert ">down<" in row and "75.0 %" in row and "60.0 %" in row
    fresh = page[page.index("Fresh") :]
    assert "not checked" in fresh[: fresh.index("</tr>")]


def test_stream_list_query_count_does_not_grow_with_streams(
    admin_client, django_assert_num_queries
):
    station = StationFactory()
    for _ in range(2):
        add_checks(StreamFactory(station=station), up=5, down=5, ago=timedelta(hours=1))
    admin_client.get(STREAMS)  # warm up the session and the content types
    with django_assert_num_queries(6):
        admin_client.get(STREAMS)
    for _ in range(8):
        add_checks(StreamFactory(station=station), up=5, down=5, ago=timedelta(hours=1))
    with django_assert_num_queries(6):
        response = admin_client.get(STREAMS)
    assert response.content.decode().count("50.0 %") == 20  # 10 streams, two windows


def test_stream_page_shows_recent_checks(admin_client):
    stream = StreamFactory(silence_detection=True)
    StreamCheckFactory(stream=stream, is_up=False, silence=True, reason="Silence: 12.0 s")
    page = admin_client.get(reverse("admin:stations_stream_change", args=[stream.pk]))
    content = page.content.decode()
    assert page.status_code == 200
    assert "Silence: 12.0 s" in content and ">silent<" in content


def test_check_log_is_read_only(admin_client):
    check = StreamCheckFactory(reason="HTTP 404 NOT FOUND", is_up=False)
    listing = admin_client.get(CHECKS)
    assert listing.status_code == 200 and "HTTP 404 NOT FOUND" in listing.content.decode()
    assert reverse("admin:stations_streamcheck_add") not in listing.content.decode()
    detail = admin_client.get(reverse("admin:stations_streamcheck_change", args=[check.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    deleting = admin_client.get(reverse("admin:stations_streamcheck_delete", args=[check.pk]))
    assert deleting.status_code == 403


def _policy_form(station, **fields) -> dict:
    data = {
        "station": station.pk,
        "name": "Night shift",
        "enabled": "on",
        "condition": "any",
        "grace_minutes": 3,
        "notify_recovery": "on",
        "states-TOTAL_FORMS": 0,
        "states-INITIAL_FORMS": 0,
        "states-MIN_NUM_FORMS": 0,
        "states-MAX_NUM_FORMS": 1000,
    }
    return {**data, **fields}


def test_add_alert_policy_with_streams_and_contacts(admin_client):
    station = StationFactory()
    stream = StreamFactory(station=station)
    contact = WebhookFactory(station=station, event_type="stream.alert")
    response = admin_client.post(
        POLICY_ADD, _policy_form(station, streams=[stream.pk], contacts=[contact.pk])
    )
    assert response.status_code == 302
    policy = AlertPolicy.objects.get()
    assert list(policy.streams.all()) == [stream] and list(policy.contacts.all()) == [contact]
    assert policy.grace_minutes == 3 and policy.notify_recovery


def test_contacts_and_streams_must_belong_to_the_station(admin_client):
    station = StationFactory()
    other = StationFactory()
    foreign_stream = StreamFactory(station=other, name="Their stream")
    foreign_contact = WebhookFactory(station=other, event_type="stream.alert", name="Their hook")
    response = admin_client.post(
        POLICY_ADD,
        _policy_form(station, streams=[foreign_stream.pk], contacts=[foreign_contact.pk]),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["streams"] == [f"Not streams of {station}: Their stream."]
    assert errors["contacts"] == [f"Not webhooks of {station}: Their hook."]
    assert not AlertPolicy.objects.exists()


def test_only_stream_alert_webhooks_can_be_contacts(admin_client):
    station = StationFactory()
    now_playing = WebhookFactory(station=station, event_type="station.studio.newtrack")
    response = admin_client.post(POLICY_ADD, _policy_form(station, contacts=[now_playing.pk]))
    assert response.status_code == 200
    assert "contacts" in response.context["adminform"].form.errors
    assert not AlertPolicy.objects.exists()


def test_policy_pages_show_coverage_and_current_outages(admin_client):
    stream = StreamFactory(name="Stream 1")
    contact = WebhookFactory(station=stream.station, event_type="stream.alert", name="On-call")
    policy = AlertPolicyFactory(station=stream.station, name="Night shift", contacts=[contact])
    AlertState.objects.create(policy=policy, stream=stream, down_since=timezone.now())
    listing = admin_client.get(reverse("admin:webhooks_alertpolicy_changelist")).content.decode()
    assert "Night shift" in listing and "all streams" in listing and "On-call" in listing
    detail = admin_client.get(reverse("admin:webhooks_alertpolicy_change", args=[policy.pk]))
    assert "Current outages" in detail.content.decode() and "Stream 1" in detail.content.decode()
