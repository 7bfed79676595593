"""Operator flows in the admin, driven through the Django test client against a real
local receiver."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.factories import StationFactory, WebhookFactory
from tests.webhook_helpers import publish_track
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db

WEBHOOKS = reverse("admin:webhooks_webhook_changelist")
DELIVERIES = reverse("admin:webhooks_delivery_changelist")


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def webhook(httpserver):
    return WebhookFactory(url=httpserver.url_for("/hook"))


def test_add_webhook_generates_a_secret_shown_once(admin_client, httpserver):
    station = StationFactory()
    response = admin_client.post(
        reverse("admin:webhooks_webhook_add"),
        {
            "station": station.pk,
            "name": "Website widget",
            "url": httpserver.url_for("/hook"),
            "event_type": "push",
            "models": ["broadcast", "item"],
            "enabled": "on",
            "delay_s": 0,
            "throttle_s": 0,
            "debounce_s": 0,
            "new_key": "abc-key-0001",
        },
        follow=True,
    )
    webhook = Webhook.objects.get()
    assert webhook.secret.startswith("whsec_") and webhook.key == "abc-key-0001"
    assert webhook.models == ["broadcast", "item"]
    assert any(webhook.secret in m for m in _messages(response))
    # afterwards neither the list nor the form shows it
    listing = admin_client.get(WEBHOOKS).content.decode()
    form = admin_client.get(
        reverse("admin:webhooks_webhook_change", args=[webhook.pk])
    ).content.decode()
    for page in (listing, form):
        assert webhook.secret not in page and "abc-key-0001" not in page
    assert webhook.masked_secret in listing


def test_send_test_event_shows_the_receivers_answer(admin_client, webhook, httpserver):
    httpserver.expect_request("/hook").respond_with_data("thanks", status=200)
    response = admin_client.post(
        reverse("admin:webhooks_webhook_send_test", args=[webhook.pk]), follow=True
    )
    assert any("Test event to" in m and "HTTP 200" in m for m in _messages(response))
    request, _ = httpserver.log[0]
    body = request.get_json()
    assert body["event"] == "station.studio.newtrack"
    assert body["station"] == {"id": webhook.station.public_id, "name": webhook.station.name}
    sent = Delivery.objects.get()
    assert sent.status == DeliveryStatus.DELIVERED and sent.event.is_test
    assert sent.event.actor_user.username == "admin"


def test_rotate_secret_shows_the_new_secret_once(admin_client, webhook):
    old = webhook.secret
    response = admin_client.post(
        WEBHOOKS, {"action": "rotate_secret", "_selected_action": [webhook.pk]}, follow=True
    )
    webhook.refresh_from_db()
    assert webhook.secret != old and webhook.secret.startswith("whsec_")
    assert any(webhook.secret in m for m in _messages(response))
    assert webhook.secret not in admin_client.get(WEBHOOKS).content.decode()


def test_auto_disable_after_threshold_and_reenable_clears_it(
    admin_client, webhook, httpserver, settings, capture_on_commit
):
    # given
    settings.WEBHOOKS_AUTO_DISABLE_AFTER = 3
    httpserver.expect_request("/hook").respond_with_data("bad", status=400)
    # when
    for _ in range(3):
        publish_track(webhook, capture_on_commit)
    # then
    webhook.refresh_from_db()
    assert not webhook.enabled
    assert webhook.disabled_reason == "Disabled after 3 consecutive failed deliveries."
    page = admin_client.get(reverse("admin:webhooks_webhook_change", args=[webhook.pk]))
    assert "Disabled after 3 consecutive failed deliveries." in page.content.decode()
    # when the operator re-enables it
    admin_client.post(WEBHOOKS, {"action": "enable_webhooks", "_selected_action": [webhook.pk]})
    webhook.refresh_from_db()
    assert webhook.enabled and webhook.disabled_reason == "" and webhook.consecutive_failures == 0


def test_a_success_ends_the_failure_streak(webhook, httpserver, settings, capture_on_commit):
    settings.WEBHOOKS_AUTO_DISABLE_AFTER = 2
    httpserver.expect_ordered_request("/hook").respond_with_data("bad", status=400)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok", status=200)
    httpserver.expect_ordered_request("/hook").respond_with_data("bad", status=400)
    for _ in range(3):
        publish_track(webhook, capture_on_commit)
    webhook.refresh_from_db()
    assert webhook.enabled and webhook.consecutive_failures == 1


def test_redeliver_single_and_bulk(admin_client, webhook, httpserver, settings, capture_on_commit):
    # given two failed deliveries
    settings.WEBHOOKS_RETRY_DELAYS_S = []
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=503)
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=503)
    first = publish_track(webhook, capture_on_commit)
    second = publish_track(webhook, capture_on_commit)
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
    httpserver.expect_request("/hook").respond_with_data("ok", status=200)
    # when: the detail page's button
    with capture_on_commit(execute=True):
        admin_client.post(reverse("admin:webhooks_delivery_redeliver", args=[first.pk]))
    first.refresh_from_db()
    assert first.status == DeliveryStatus.DELIVERED and first.attempt_count == 2
    assert [a.manual for a in first.attempts.all()] == [False, True]
    # when: the bulk action
    with capture_on_commit(execute=True):
        response = admin_client.post(
            DELIVERIES,
            {"action": "redeliver", "_selected_action": [first.pk, second.pk]},
            follow=True,
        )
    second.refresh_from_db()
    assert second.status == DeliveryStatus.DELIVERED
    assert any(m.startswith("2 deliveries queued again.") for m in _messages(response))
    assert len(httpserver.log) == 5


def test_redeliver_failed_since(admin_client, webhook, httpserver, settings, capture_on_commit):
    settings.WEBHOOKS_RETRY_DELAYS_S = []
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=500)
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=500)
    old = publish_track(webhook, capture_on_commit)
    recent = publish_track(webhook, capture_on_commit)
    Delivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    httpserver.expect_request("/hook").respond_with_data("ok")
    url = reverse("admin:webhooks_webhook_redeliver_failed", args=[webhook.pk])
    assert admin_client.get(url).status_code == 200
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    with capture_on_commit(execute=True):
        response = admin_client.post(url, {"since": since}, follow=True)
    assert any("1 failed deliveries" in m for m in _messages(response))
    old.refresh_from_db()
    recent.refresh_from_db()
    assert recent.status == DeliveryStatus.DELIVERED and old.status == DeliveryStatus.FAILED


def test_delivery_log_filters_search_and_detail(
    admin_client, webhook, httpserver, capture_on_commit
):
    httpserver.expect_request("/hook").respond_with_data("accepted", status=202)
    sent = publish_track(webhook, capture_on_commit)
    other = publish_track(webhook, capture_on_commit)
    Delivery.objects.filter(pk=other.pk).update(status=DeliveryStatus.FAILED)

    def listed(params):
        response = admin_client.get(DELIVERIES, params)
        assert response.status_code == 200
        return {row.pk for row in response.context["cl"].result_list}

    assert listed({}) == {sent.pk, other.pk}
    assert listed({"status__exact": "delivered"}) == {sent.pk}
    assert listed({"webhook__id__exact": webhook.pk}) == {sent.pk, other.pk}
    assert listed({"station__id__exact": webhook.station.pk}) == {sent.pk, other.pk}
    assert listed({"event_type__exact": "station.encoder.statuschange"}) == set()
    assert listed({"q": sent.event.message_id}) == {sent.pk}
    assert listed({"q": "msg_unknown"}) == set()
    detail = admin_client.get(reverse("admin:webhooks_delivery_change", args=[sent.pk]))
    page = detail.content.decode()
    assert sent.event.message_id in page and "accepted" in page and "Hey Jude" in page


def test_webhook_list_shows_last_status_and_success_rate(
    admin_client, webhook, httpserver, capture_on_commit
):
    httpserver.expect_ordered_request("/hook").respond_with_data("ok")
    httpserver.expect_ordered_request("/hook").respond_with_data("no", status=404)
    publish_track(webhook, capture_on_commit)
    publish_track(webhook, capture_on_commit)
    page = admin_client.get(WEBHOOKS).content.decode()
    assert "50 % of 2" in page and ">failed<" in page


def test_task_queue_admin_stays_reachable(admin_client):
    for name in ["django_q_schedule_changelist", "django_q_failure_changelist"]:
        assert admin_client.get(reverse(f"admin:{name}")).status_code == 200


def test_admin_refuses_a_weak_secret(admin_client, webhook):
    response = admin_client.post(
        reverse("admin:webhooks_webhook_change", args=[webhook.pk]),
        {
            "station": webhook.station.pk,
            "name": webhook.name,
            "url": webhook.url,
            "event_type": webhook.event_type,
            "enabled": "on",
            "delay_s": 0,
            "throttle_s": 0,
            "debounce_s": 0,
            "new_secret": "whsec_",
        },
    )
    assert response.status_code == 200
    assert "Use at least 16 characters." in response.content.decode()
    webhook.refresh_from_db()
    assert webhook.secret == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
