"""Failed API-key attempts are limited per client address: after the limit, that address
gets 429 with Retry-After until the window ends, and other addresses and valid keys are
not affected. With the in-memory cache and with Redis."""

import base64
import os
import time
import uuid

import pytest
from rest_framework.test import APIClient

from tests.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db

PROGRAMS = "/api/v1/programs/"
LIMIT = 3
WINDOW_S = 3600
TEST_SPAN_S = 30
WRONG_KEY = "shk_00000000" + "x" * 43


@pytest.fixture(params=["locmem", "redis"])
def failure_limit(request, settings):
    """A limit of 3 failures per one-hour window, counted in the in-memory cache or in Redis
    (under a key prefix of this test's own)."""
    if request.param == "redis":
        redis_url = os.environ.get("REDIS_TEST_URL")
        if not redis_url:
            pytest.skip("set REDIS_TEST_URL to test with Redis")
        settings.CACHES = {
            **settings.CACHES,
            "throttle": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            },
        }
    else:
        settings.CACHES = {
            **settings.CACHES,
            "throttle": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": f"test-{uuid.uuid4().hex}",
            },
        }
    settings.API_KEY_FAILURE_LIMIT = LIMIT
    settings.API_KEY_FAILURE_WINDOW_S = WINDOW_S
    # Windows are fixed: start the test well inside one, so its counts never straddle two.
    left_s = WINDOW_S - time.time() % WINDOW_S
    if left_s < TEST_SPAN_S:
        time.sleep(left_s + 0.01)
    return request.param


def _get(key: str | None, address: str, scheme: str = "api-key"):
    headers = {"REMOTE_ADDR": address}
    if key is not None:
        if scheme == "api-key":
            headers["HTTP_API_KEY"] = key
        else:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return APIClient().get(PROGRAMS, **headers)


def _icecast(password: str, address: str, *, raw: str | None = None):
    credentials = raw or base64.b64encode(f"source:{password}".encode()).decode()
    return APIClient().get(
        "/admin/metadata",
        {"mode": "updinfo", "song": "A - B"},
        HTTP_AUTHORIZATION=f"Basic {credentials}",
        REMOTE_ADDR=address,
    )


@pytest.mark.parametrize("scheme", ["api-key", "bearer"])
def test_failures_beyond_the_limit_are_429_with_retry_after(failure_limit, scheme):
    for _ in range(LIMIT):
        assert _get(WRONG_KEY, "203.0.113.7", scheme).status_code == 401
    refused = _get(WRONG_KEY, "203.0.113.7", scheme)
    assert refused.status_code == 429
    assert TEST_SPAN_S - 5 <= int(refused["Retry-After"]) <= WINDOW_S
    assert refused.json()["detail"].startswith("Too many failed API-key attempts")


def test_a_blocked_address_is_refused_before_its_key_is_checked(failure_limit):
    valid = ApiKeyFactory()
    for _ in range(LIMIT):
        _get("not-even-a-key", "203.0.113.8")
    # a guess that happens to be right gets nothing more than a wrong one
    assert _get(valid.raw_key, "203.0.113.8").status_code == 429


def test_other_addresses_and_valid_keys_are_not_slowed(failure_limit):
    valid = ApiKeyFactory()
    for _ in range(LIMIT + 5):
        _get(WRONG_KEY, "203.0.113.9")
    for _ in range(LIMIT + 5):
        assert _get(valid.raw_key, "198.51.100.1").status_code == 200
    assert _get(WRONG_KEY, "198.51.100.1").status_code == 401


def test_valid_keys_never_count_as_failures(failure_limit):
    valid = ApiKeyFactory()
    for _ in range(LIMIT - 1):
        assert _get(WRONG_KEY, "203.0.113.10").status_code == 401
        for _ in range(5):
            assert _get(valid.raw_key, "203.0.113.10").status_code == 200
    assert _get(WRONG_KEY, "203.0.113.10").status_code == 401
    assert _get(WRONG_KEY, "203.0.113.10").status_code == 429


def test_requests_without_a_key_are_not_counted(failure_limit):
    for _ in range(LIMIT + 2):
        assert _get(None, "203.0.113.11").status_code == 401
    assert _get(WRONG_KEY, "203.0.113.11").status_code == 401


def test_the_block_ends_with_its_window(failure_limit, settings):
    settings.API_KEY_FAILURE_WINDOW_S = 1
    # given failures early in a window (a window of 1 s starts on every whole second)
    time.sleep(1 - time.time() % 1)
    for _ in range(LIMIT):
        _get(WRONG_KEY, "203.0.113.12")
    refused = _get(WRONG_KEY, "203.0.113.12")
    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    # when the window has passed
    time.sleep(1.05)
    # then the address is heard again
    assert _get(WRONG_KEY, "203.0.113.12").status_code == 401


def test_icecast_basic_auth_failures_count_and_are_answered_in_icecast_xml(failure_limit):
    valid = ApiKeyFactory()
    assert _icecast("wrong", "203.0.113.13").status_code == 401
    assert _icecast("", "203.0.113.13", raw="%%%not-base64").status_code == 401
    assert _get(WRONG_KEY, "203.0.113.13").status_code == 401  # one count for all three
    refused = _icecast(valid.raw_key, "203.0.113.13")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "<return>0</return>" in refused.content.decode()
    assert _icecast(valid.raw_key, "198.51.100.2").status_code == 200


def test_ipv6_clients_count_per_64(failure_limit):
    for host in range(LIMIT):
        _get(WRONG_KEY, f"2001:db8:1:2::{host + 1:x}")
    assert _get(WRONG_KEY, "2001:db8:1:2:ffff::1").status_code == 429
    assert _get(WRONG_KEY, "2001:db8:1:3::1").status_code == 401


def test_a_forged_forwarded_for_does_not_evade_the_limit(failure_limit):
    for attempt in range(LIMIT + 1):
        response = APIClient().get(
            PROGRAMS,
            HTTP_API_KEY=WRONG_KEY,
            REMOTE_ADDR="203.0.113.14",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt}",
        )
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(failure_limit, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    def through_proxy(client_ip: str):
        return APIClient().get(
            PROGRAMS,
            HTTP_API_KEY=WRONG_KEY,
            REMOTE_ADDR="10.0.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR=f"6.6.6.6, {client_ip}",  # the first entry is the client's word
        )

    for _ in range(LIMIT):
        through_proxy("203.0.113.15")
    assert through_proxy("203.0.113.15").status_code == 429
    assert through_proxy("203.0.113.16").status_code == 401
