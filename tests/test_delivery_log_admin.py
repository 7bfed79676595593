"""The delivery log as an operator reads it: what each delivery was about, linked; test
events badged and filterable; a detail page with headers as tables, bodies indented and
an attempt timeline; and no way to delete or change a delivery, even as a superuser."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from stations.times import time_ago
from tests.factories import ProgramFactory, StationFactory, WebhookFactory
from tests.webhook_helpers import drain_until_settled, publish_track_unqueued
from webhooks import services
from webhooks.admin.subjects import subject_of
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db

DELIVERIES = reverse("admin:webhooks_delivery_changelist")


@pytest.fixture
def push_webhook(httpserver):
    station = StationFactory(name="Radio Example")
    return WebhookFactory(
        station=station, name="Scheduler", event_type="push", url=httpserver.url_for("/push")
    )


def test_subject_links_each_family_to_its_admin_page():
    push = subject_of(
        event_type="push",
        body='{"action": "update", "model": "broadcast", "model_id": 12}',
        is_test=False,
    )
    assert push.label == "broadcast 12 · update"
    assert push.url == reverse("admin:stations_broadcast_change", args=[12])
    track = subject_of(
        event_type="station.studio.newtrack",
        body='{"track": {"id": "med_1", "title": "Hey Jude", "artist": "The Beatles"}}',
        is_test=False,
    )
    assert track.label == "The Beatles - Hey Jude" and track.url.endswith("?q=med_1")
    alert = subject_of(
        event_type="stream.alert", body='{"event": {"type": "down", "stream": null}}', is_test=False
    )
    assert alert.label == "all streams down" and alert.url is None
    assert (
        subject_of(event_type="push", body='{"model": "program", "model_id": 0}', is_test=True).url
        is None
    )
    assert subject_of(event_type="push", body="[1]", is_test=False) is None


def test_time_ago_reads_naturally():
    now = timezone.now()
    assert time_ago(now - timedelta(seconds=20), now=now) == "just now"
    assert time_ago(now - timedelta(minutes=3), now=now) == "3\xa0minutes ago"
    assert time_ago(now + timedelta(hours=2), now=now) == "in 2\xa0hours"


def test_log_shows_subject_badges_and_filters_test_events(
    admin_client, admin_user, push_webhook, httpserver
):
    # given a real push message and a test event
    httpserver.expect_request("/push").respond_with_data("ok")
    program = ProgramFactory(station=push_webhook.station, title="Morning Show")
    drain_until_settled()
    services.webhook_send_test_event(webhook=push_webhook, actor=admin_user)
    real, test = Delivery.objects.order_by("pk")
    # when
    page = admin_client.get(DELIVERIES).content.decode()
    # then
    program_url = reverse("admin:stations_program_change", args=[program.pk])
    assert f'<a class="sh-link" href="{program_url}">program {program.pk} · create</a>' in page
    assert '<span class="sh-badge sh-tone-info">test</span>' in page
    assert '<span class="sh-badge sh-tone-good">delivered 200</span>' in page
    assert " UTC</span>" in page

    def listed(params):
        return {row.pk for row in admin_client.get(DELIVERIES, params).context["cl"].result_list}

    assert listed({"test": "no"}) == {real.pk}
    assert listed({"test": "only"}) == {test.pk}


def test_detail_page_shows_headers_bodies_and_the_attempt_timeline(
    admin_client, push_webhook, httpserver, settings, django_assert_max_num_queries
):
    # given a delivery that failed, then was redelivered by an operator
    settings.WEBHOOKS_RETRY_DELAYS_S = []
    httpserver.expect_ordered_request("/push").respond_with_json({"error": "busy"}, status=503)
    httpserver.expect_ordered_request("/push").respond_with_json({"ok": True})
    ProgramFactory(station=push_webhook.station)
    drain_until_settled()
    delivery = Delivery.objects.get()
    url = reverse("admin:webhooks_delivery_change", args=[delivery.pk])
    assert "Redelivered" not in admin_client.get(url).content.decode()  # never redelivered
    services.deliveries_redeliver(deliveries=Delivery.objects.all())
    drain_until_settled()
    # when
    with django_assert_max_num_queries(12):
        page = admin_client.get(url).content.decode()
    # then
    assert f"Delivery #{delivery.pk}: push to Scheduler" in page
    assert '<table class="sh-table sh-headers"><tr>' in page
    assert "<tr><th>Content-Type</th><td><code>application/json</code></td></tr>" in page
    assert "<tr><th>User-Agent</th><td><code>StationHooks/" in page
    assert "<th>webhook-id</th><td><code>msg_" in page
    assert "&quot;error&quot;: &quot;busy&quot;" in page  # the answer, indented JSON
    assert '"action": "create",' in page.replace("&quot;", '"')
    assert 'id="attempt-1"' in page and 'id="attempt-2"' in page
    assert "Redelivered by an operator: one attempt each time, no automatic retries." in page
    assert 'data-copy="#delivery-body"' in page


def test_deliveries_cannot_be_deleted_or_changed_even_by_a_superuser(admin_client, push_webhook):
    delivery = publish_track_unqueued(push_webhook).deliveries.get()
    delete = reverse("admin:webhooks_delivery_delete", args=[delivery.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    response = admin_client.post(
        DELIVERIES, {"action": "delete_selected", "_selected_action": [delivery.pk], "post": "yes"}
    )
    assert response.status_code in (200, 302) and Delivery.objects.filter(pk=delivery.pk).exists()
    assert "delete_selected" not in admin_client.get(DELIVERIES).content.decode()
    change = admin_client.post(
        reverse("admin:webhooks_delivery_change", args=[delivery.pk]), {"status": "failed"}
    )
    assert change.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == "pending"
