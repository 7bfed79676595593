"""One rule for outgoing targets (guards.targets): globally routable unicast addresses,
IPv6 forms that carry an IPv4 address judged by that address, ports 1-65535. Checked at
save (webhook form) and at connect time (the stream monitor's adapter here; the delivery
engine's in its own tests)."""

import ipaddress

import pytest
import requests
from django.core.exceptions import ValidationError
from django.urls import reverse

from guards.target_adapter import PublicTargetAdapter, TargetRefusedError
from guards.targets import (
    RefusedTarget,
    address_refusal,
    embedded_ipv4,
    resolve_target,
    url_target,
)
from tests.factories import StationFactory, WebhookFactory
from tests.webhook_helpers import publish_track
from webhooks.choices import DeliveryStatus
from webhooks.targets import validate_target_url

pytestmark = pytest.mark.django_db

# Pythons differ in whether they call these "private" or only "not global"
ANY_REASON = " is "

REFUSED_ADDRESSES = [
    # (address, what the refusal must say)
    ("127.0.0.1", "127.0.0.1 is a loopback address"),
    ("10.1.2.3", "is a private address"),
    ("172.16.0.1", "is a private address"),
    ("192.168.0.10", "is a private address"),
    ("169.254.169.254", "is a link-local address"),
    ("0.0.0.0", "is the unspecified address"),
    ("224.0.0.1", "is a multicast address"),
    ("239.255.255.250", "is a multicast address"),
    ("255.255.255.255", ANY_REASON),
    ("100.64.0.1", ANY_REASON),
    ("192.0.0.8", ANY_REASON),
    ("192.0.2.1", ANY_REASON),
    ("198.18.0.1", ANY_REASON),
    ("192.88.99.1", ANY_REASON),
    ("240.0.0.1", ANY_REASON),
    ("::1", "::1 is a loopback address"),
    ("::", ":: is the unspecified address"),
    ("fe80::1", "is a link-local address"),
    ("fe80::1%1", "is a link-local address"),
    ("fc00::1", "is a private address"),
    ("fd12:3456::1", "is a private address"),
    ("ff02::1", "is a multicast address"),
    ("ff0e::1", "is a multicast address"),
    ("2001:db8::1", ANY_REASON),
    ("2001::1", ANY_REASON),  # Teredo
    ("2001:20::1", ANY_REASON),
    ("3fff::1", ANY_REASON),
    ("5f00::1", ANY_REASON),
    # IPv4-mapped
    ("::ffff:127.0.0.1", "carries 127.0.0.1, a loopback address"),
    ("::ffff:10.0.0.1", "carries 10.0.0.1, a private address"),
    ("::ffff:169.254.169.254", "carries 169.254.169.254, a link-local address"),
    # IPv4-compatible
    ("::127.0.0.1", "::127.0.0.1 carries 127.0.0.1, a loopback address"),
    ("::7f00:1", "carries 127.0.0.1, a loopback address"),
    ("::10.0.0.1", "carries 10.0.0.1, a private address"),
    ("::224.0.0.1", "carries 224.0.0.1, a multicast address"),
    # 6to4
    ("2002:7f00:1::1", "carries 127.0.0.1, a loopback address"),
    ("2002:a9fe:a9fe::1", "carries 169.254.169.254, a link-local address"),
    ("2002:c0a8:1::1", "carries 192.168.0.1, a private address"),
    # NAT64, well-known prefix
    ("64:ff9b::7f00:1", "carries 127.0.0.1, a loopback address"),
    ("64:ff9b::127.0.0.1", "carries 127.0.0.1, a loopback address"),
    ("64:ff9b::a00:1", "carries 10.0.0.1, a private address"),
    # NAT64, local-use prefix: refused whatever it carries
    ("64:ff9b:1::808:808", "is in the local-use NAT64 prefix 64:ff9b:1::/48"),
    ("64:ff9b:1::7f00:1", "is in the local-use NAT64 prefix 64:ff9b:1::/48"),
]

ALLOWED_ADDRESSES = [
    "8.8.8.8",
    "93.184.215.14",
    "1.1.1.1",
    "2606:4700::1111",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",  # IPv4-mapped public
    "::8.8.8.8",  # IPv4-compatible public
    "2002:808:808::1",  # 6to4 of a public address
    "64:ff9b::808:808",  # NAT64 of a public address
    "64:ff9b::1.1.1.1",
]


@pytest.mark.parametrize(("address", "reason"), REFUSED_ADDRESSES)
def test_refused_addresses_say_why(address, reason):
    refusal = address_refusal(address)
    assert refusal is not None and reason in refusal
    assert refusal.startswith(address)


@pytest.mark.parametrize("address", ALLOWED_ADDRESSES)
def test_globally_routable_addresses_are_allowed(address):
    assert address_refusal(address) is None
    assert address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("address", "carried"),
    [
        ("::ffff:1.2.3.4", "1.2.3.4"),
        ("::1.2.3.4", "1.2.3.4"),
        ("2002:102:304::", "1.2.3.4"),
        ("64:ff9b::102:304", "1.2.3.4"),
        ("2606:4700::1111", None),
        ("64:ff9b:1::102:304", None),
    ],
)
def test_embedded_ipv4_unwraps_every_form(address, carried):
    found = embedded_ipv4(ipaddress.IPv6Address(address))
    assert found == (ipaddress.IPv4Address(carried) if carried else None)


def test_a_non_address_is_a_value_error():
    with pytest.raises(ValueError):
        address_refusal("hooks.example.com")


@pytest.mark.parametrize(
    ("url", "host", "port"),
    [
        ("https://hooks.example.com/x", "hooks.example.com", 443),
        ("http://hooks.example.com/x", "hooks.example.com", 80),
        ("https://hooks.example.com:8443/x", "hooks.example.com", 8443),
        ("http://[::127.0.0.1]/", "::127.0.0.1", 80),
        ("http://127.0.0.1:65535/", "127.0.0.1", 65535),
        ("http://127.0.0.1:1/", "127.0.0.1", 1),
    ],
)
def test_url_target_gives_host_and_port(url, host, port):
    assert url_target(url) == (host, port)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://hooks.example.com:99999/x", "port must be a number from 1 to 65535"),
        ("http://127.0.0.1:99999/", "port must be a number from 1 to 65535"),
        ("http://127.0.0.1:65536/", "port must be a number from 1 to 65535"),
        ("http://127.0.0.1:0/", "port must be a number from 1 to 65535"),
        ("http://127.0.0.1:-1/", "port must be a number from 1 to 65535"),
        ("http://127.0.0.1:x/", "port must be a number from 1 to 65535"),
        ("file:///etc/passwd", "http:// or https://"),
        ("ftp://hooks.example.com/", "http:// or https://"),
        ("http:///path-only", "http:// or https://"),
    ],
)
def test_url_target_refuses_bad_schemes_and_ports(url, message):
    with pytest.raises(RefusedTarget, match=message):
        url_target(url)


@pytest.fixture
def private_targets_refused(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8000/hook", "127.0.0.1 is a loopback address"),
        ("http://localhost/hook", "localhost resolves to"),
        ("http://10.1.2.3/hook", "10.1.2.3 is a private address"),
        ("http://192.168.0.10/hook", "is a private address"),
        ("http://169.254.169.254/latest/meta-data", "is a link-local address"),
        ("http://[::1]/hook", "::1 is a loopback address"),
        ("http://224.0.0.1/hook", "is a multicast address"),
        ("http://[::127.0.0.1]/", "carries 127.0.0.1, a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "carries 127.0.0.1, a loopback address"),
        ("http://[64:ff9b::7f00:1]/", "carries 127.0.0.1, a loopback address"),
        ("http://[2002:7f00:1::1]/", "carries 127.0.0.1, a loopback address"),
        ("http://[64:ff9b:1::808:808]/", "local-use NAT64"),
    ],
)
def test_private_targets_are_refused_at_save(private_targets_refused, url, reason):
    with pytest.raises(ValidationError) as refused:
        validate_target_url(url)
    message = refused.value.message_dict["url"][0]
    assert reason in message and "WEBHOOKS_ALLOW_PRIVATE_TARGETS" in message


@pytest.mark.parametrize(
    "url",
    [
        "https://93.184.215.14/hook",
        "https://[2606:4700::1111]/hook",
        "http://[64:ff9b::808:808]/",
        "http://[2002:808:808::1]/",
        "http://[::ffff:8.8.8.8]:8080/",
    ],
)
def test_public_targets_are_accepted_at_save(private_targets_refused, url):
    validate_target_url(url)


@pytest.mark.parametrize("allow_private", [True, False])
@pytest.mark.parametrize("url", ["https://hooks.example.com:99999/x", "http://127.0.0.1:99999/"])
def test_ports_out_of_range_are_refused_at_save_either_way(settings, allow_private, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = allow_private
    with pytest.raises(ValidationError) as refused:
        validate_target_url(url)
    assert "port must be a number from 1 to 65535" in str(refused.value)


def test_non_http_schemes_are_refused():
    with pytest.raises(ValidationError):
        validate_target_url("file:///etc/passwd")


def test_allowed_when_the_environment_says_so(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    validate_target_url("http://127.0.0.1:8000/hook")


def _add_webhook(admin_client, url):
    return admin_client.post(
        reverse("admin:webhooks_webhook_add"),
        {
            "station": StationFactory().pk,
            "name": "Target",
            "url": url,
            "event_type": "station.studio.newtrack",
            "enabled": "on",
            "delay_s": 0,
            "throttle_s": 0,
            "debounce_s": 0,
        },
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8000/hook", "127.0.0.1 is a loopback address"),
        ("http://[::127.0.0.1]/hook", "::127.0.0.1 carries 127.0.0.1, a loopback address"),
        ("http://127.0.0.1:99999/", "The port must be a number from 1 to 65535."),
        ("https://hooks.example.com:99999/x", "The port must be a number from 1 to 65535."),
    ],
)
def test_admin_form_shows_a_clear_error(private_targets_refused, admin_client, url, message):
    response = _add_webhook(admin_client, url)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not WebhookFactory._meta.model.objects.exists()


def test_a_port_out_of_range_is_a_form_error_with_private_targets_allowed(admin_client):
    response = _add_webhook(admin_client, "https://hooks.example.com:99999/x")
    assert response.status_code == 200
    assert "The port must be a number from 1 to 65535." in response.content.decode()


def test_a_stored_url_with_a_bad_port_fails_its_delivery_and_its_pages_open(
    admin_client, private_targets_refused, capture_on_commit
):
    # given a URL saved before the port rule existed
    webhook = WebhookFactory(url="http://127.0.0.1:99999/")
    # when a delivery is due for it
    sent = publish_track(webhook, capture_on_commit)
    # then it fails with the reason recorded, and the admin shows it
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.FAILED and sent.attempt_count == 1
    assert sent.attempts.get().error
    for url in (
        reverse("admin:webhooks_webhook_change", args=[webhook.pk]),
        reverse("admin:webhooks_webhook_changelist"),
        reverse("admin:webhooks_delivery_change", args=[sent.pk]),
    ):
        assert admin_client.get(url).status_code == 200


def test_refused_again_at_connect_time(httpserver, private_targets_refused, capture_on_commit):
    # A webhook saved while allowed (or whose DNS changed since) is refused on connect.
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    sent = publish_track(webhook, capture_on_commit)
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.FAILED and sent.attempt_count == 1
    assert sent.attempts.get().error.startswith("Refused target")
    assert httpserver.log == []


def _guarded_session(**adapter_options) -> requests.Session:
    session = requests.Session()
    for scheme in ("http://", "https://"):
        session.mount(scheme, PublicTargetAdapter(**adapter_options))
    return session


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_the_adapter_refuses_before_connecting(httpserver, host):
    httpserver.expect_request("/live").respond_with_data("audio")
    with _guarded_session() as session, pytest.raises(TargetRefusedError, match="loopback"):
        session.get(f"http://{host}:{httpserver.port}/live", timeout=5)
    assert httpserver.log == []


def test_the_adapter_connects_to_the_checked_address_and_keeps_the_name(httpserver):
    # given a name whose one DNS answer was checked (a stand-in resolver: 127.0.0.1)
    resolved = []

    def resolve(host, port):
        resolved.append((host, port))
        return "127.0.0.1"

    httpserver.expect_request("/live").respond_with_data("audio")
    # when the session fetches a URL on that name
    with _guarded_session(resolve=resolve) as session:
        response = session.get(f"http://radio.example:{httpserver.port}/live", timeout=5)
    # then it connected to the checked address, naming the host in Host
    assert response.text == "audio"
    assert resolved == [("radio.example", httpserver.port)]
    (request, _), *_ = httpserver.log
    assert request.headers["Host"] == f"radio.example:{httpserver.port}"


def test_the_adapter_checks_the_redirect_target_too(httpserver):
    httpserver.expect_request("/listen").respond_with_data(
        "", status=302, headers={"Location": "http://10.0.0.1/live"}
    )
    with _guarded_session(resolve=_loopback_for_radio_example) as session:
        first = session.get(
            f"http://radio.example:{httpserver.port}/listen", allow_redirects=False, timeout=5
        )
        with pytest.raises(TargetRefusedError, match=r"10\.0\.0\.1 is a private address"):
            session.send(first.next, timeout=5)


def _loopback_for_radio_example(host, port):
    if host == "radio.example":
        return "127.0.0.1"
    return resolve_target(host, port)
