"""The alert policy's page reads as Radio Mast's does: notify webhooks (not "contacts"),
a warning when nobody would hear an alert, and each outage says whether its alert went
out, or why not (grace running until when), in the station's zone, never an ISO stamp."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AlertPolicyFactory, StationFactory, StreamFactory, WebhookFactory
from webhooks.models import AlertPolicy, AlertState

pytestmark = pytest.mark.django_db

POLICY_ADD = reverse("admin:webhooks_alertpolicy_add")


def page(admin_client, policy=None) -> str:
    url = reverse("admin:webhooks_alertpolicy_change", args=[policy.pk]) if policy else POLICY_ADD
    return admin_client.get(url).content.decode()


def test_recipients_are_notify_webhooks_and_help_texts_have_no_backticks(admin_client):
    WebhookFactory(event_type="stream.alert", name="On-call")
    form = page(admin_client).split('id="content-main"')[1].split("</form>")[0]
    shown = re.sub(r"<[^>]+>", " ", form)  # the sidebar's Contacts are RadioManager's
    assert "Notify webhooks" in shown and "contacts" not in shown.lower()
    assert "Sensitivity: how many minutes of downtime" in form
    assert "`" not in form


def test_the_grace_period_defaults_to_one_minute(admin_client):
    assert AlertPolicy().grace_minutes == 1
    assert 'name="grace_minutes" value="1"' in page(admin_client)


def test_an_empty_picker_links_to_adding_a_stream_alert_webhook(admin_client):
    StationFactory()
    text = page(admin_client)
    assert "None to pick yet" in text
    assert f"{reverse('admin:webhooks_webhook_add')}?event_type=stream.alert" in text


def test_a_policy_with_no_notify_webhook_is_flagged_on_save_page_and_list(admin_client):
    # given
    station = StationFactory()
    disabled = WebhookFactory(station=station, event_type="stream.alert", enabled=False)
    # when saved with only a disabled webhook
    saved = admin_client.post(
        POLICY_ADD,
        {
            "station": station.pk,
            "name": "Nobody",
            "enabled": "on",
            "condition": "any",
            "grace_minutes": 1,
            "contacts": [disabled.pk],
            "states-TOTAL_FORMS": 0,
            "states-INITIAL_FORMS": 0,
        },
        follow=True,
    )
    # then
    assert "alerts reach nobody" in saved.content.decode()
    policy = AlertPolicy.objects.get(name="Nobody")
    assert 'id="no-recipient"' in page(admin_client, policy)
    listing = admin_client.get(reverse("admin:webhooks_alertpolicy_changelist")).content.decode()
    assert "none: alerts reach nobody" in listing


def test_a_policy_with_a_notify_webhook_has_no_warning(admin_client):
    contact = WebhookFactory(event_type="stream.alert", name="On-call")
    policy = AlertPolicyFactory(station=contact.station, contacts=[contact])
    text = page(admin_client, policy)
    assert 'id="no-recipient"' not in text
    assert "add a stream alert webhook" in text  # another one can still be added


def test_outages_say_whether_their_alert_went_out(admin_client):
    # given a station in Amsterdam, two streams down: one alerted, one inside its grace
    station = StationFactory(timezone="Europe/Amsterdam")
    contact = WebhookFactory(station=station, event_type="stream.alert")
    alerted, waiting = (StreamFactory(station=station, name=n) for n in ("Main", "Backup"))
    policy = AlertPolicyFactory(station=station, grace_minutes=10, contacts=[contact])
    now = timezone.now().replace(microsecond=0)
    sent_at = now - timedelta(minutes=1)
    AlertState.objects.create(
        policy=policy, stream=alerted, down_since=now - timedelta(minutes=11), down_sent_at=sent_at
    )
    AlertState.objects.create(policy=policy, stream=waiting, down_since=now)
    # when
    text = page(admin_client, policy)
    # then: local times with the zone, no ISO stamps
    local = timezone.localtime(sent_at, station.zone)
    until = timezone.localtime(now + timedelta(minutes=10), station.zone)
    assert f"alert sent at {local:%H:%M:%S %Z}" in text
    assert f"alert not sent (grace running until {until:%H:%M %Z})" in text
    assert "+00:00" not in text and ".000" not in text


def test_an_outage_past_its_grace_with_nobody_to_tell_says_why(admin_client):
    stream = StreamFactory()
    policy = AlertPolicyFactory(station=stream.station, grace_minutes=0)
    AlertState.objects.create(policy=policy, stream=stream, down_since=timezone.now())
    assert "alert not sent: the policy has no enabled notify webhook" in page(admin_client, policy)
