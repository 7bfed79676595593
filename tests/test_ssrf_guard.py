"""Private, loopback and link-local targets are refused unless explicitly allowed."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import StationFactory, WebhookFactory
from tests.webhook_helpers import publish_track
from webhooks.choices import DeliveryStatus
from webhooks.targets import validate_target_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_targets_refused(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://224.0.0.1/hook",
    ],
)
def test_private_targets_are_refused(private_targets_refused, url):
    with pytest.raises(ValidationError) as refused:
        validate_target_url(url)
    assert "WEBHOOKS_ALLOW_PRIVATE_TARGETS" in str(refused.value)


def test_non_http_schemes_are_refused():
    with pytest.raises(ValidationError):
        validate_target_url("file:///etc/passwd")


def test_public_address_is_accepted(private_targets_refused):
    validate_target_url("https://93.184.215.14/hook")


def test_allowed_when_the_environment_says_so(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    validate_target_url("http://127.0.0.1:8000/hook")


def test_admin_form_shows_a_clear_error(private_targets_refused, admin_client):
    station = StationFactory()
    response = admin_client.post(
        reverse("admin:webhooks_webhook_add"),
        {
            "station": station.pk,
            "name": "Internal",
            "url": "http://127.0.0.1:8000/hook",
            "trigger": "station.studio.newtrack",
            "enabled": "on",
            "delay_s": 0,
            "throttle_s": 0,
            "debounce_s": 0,
        },
    )
    assert response.status_code == 200
    assert "private, loopback, link-local or multicast" in response.content.decode()


def test_refused_again_at_connect_time(httpserver, private_targets_refused, capture_on_commit):
    # A webhook saved while allowed (or whose DNS changed since) is refused on connect.
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    sent = publish_track(webhook, capture_on_commit)
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.FAILED and sent.attempt_count == 1
    assert sent.attempts.get().error.startswith("Refused target")
    assert httpserver.log == []
