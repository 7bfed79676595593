"""Bad requests get a clear 4xx in JSON, never a 500: malformed bodies, oversized bodies
(413), wrong methods (405), wild ids and dates, and too many requests per key (429)."""

import json

import pytest
import requests
from requests.auth import HTTPBasicAuth
from rest_framework.test import APIClient

from stations.models import Program
from tests.factories import ApiKeyFactory, ProgramFactory

pytestmark = pytest.mark.django_db

PROGRAMS = "/api/v1/programs/"
LIMIT_BYTES = 256 * 1024


def _json_body_of_size(size: int) -> bytes:
    prefix, suffix = b'{"title": "x", "description": "', b'"}'
    return prefix + b"a" * (size - len(prefix) - len(suffix)) + suffix


def test_a_body_over_256_kib_is_413_and_nothing_is_saved(api_client):
    response = api_client.generic(
        "POST", PROGRAMS, _json_body_of_size(LIMIT_BYTES + 1), content_type="application/json"
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "262144" in response.json()["detail"]
    assert not Program.all_objects.exists()


def test_a_body_of_exactly_256_kib_is_accepted(api_client):
    response = api_client.generic(
        "POST", PROGRAMS, _json_body_of_size(LIMIT_BYTES), content_type="application/json"
    )
    assert response.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_an_oversized_body_over_real_http_is_413(live_server):
    key = ApiKeyFactory()
    response = requests.post(
        f"{live_server.url}{PROGRAMS}",
        data=_json_body_of_size(LIMIT_BYTES * 4),
        headers={"api-key": key.raw_key, "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413 and "detail" in response.json()
    assert not Program.all_objects.exists()


def test_an_unparseable_content_length_is_400(api_client):
    response = api_client.post(PROGRAMS, {"title": "x"}, format="json", CONTENT_LENGTH="lots")
    assert response.status_code == 400 and "Content-Length" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"title": ', "application/json", 400),
        (b"[1, 2, 3]", "application/json", 400),
        (b'"just a string"', "application/json", 400),
        (b"title=x", "application/x-www-form-urlencoded", 415),
        (b'{"title": "x"}', "application/json; charset=bz2_codec", 400),
    ],
)
def test_malformed_bodies_are_4xx_json(api_client, body, content_type, status):
    response = api_client.generic("POST", PROGRAMS, body, content_type=content_type)
    assert response.status_code == status
    assert isinstance(response.json(), dict)
    assert not Program.all_objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", PROGRAMS),
        ("delete", PROGRAMS),
        ("get", "/api/v1/programs/1/recover/"),
        ("get", "/api/v1/studio/tracks/"),
        ("put", "/api/v1/studio/tracks/"),
    ],
)
def test_wrong_methods_are_405(api_client, api_key, method, path):
    ProgramFactory(station=api_key.station, pk=1)
    response = getattr(api_client, method)(path)
    assert response.status_code == 405 and set(response.json()) == {"detail"}


@pytest.mark.parametrize(
    "pk", ["0", "-1", "abc", "1.5", "99999999999999999999999999", "9223372036854775808"]
)
def test_ids_nobody_can_have_are_404(api_client, pk):
    response = api_client.get(f"{PROGRAMS}{pk}/")
    assert response.status_code == 404 and set(response.json()) == {"detail"}


@pytest.mark.parametrize("value", [99999999999999999999999999, -5, True, 1.5, "x", {"id": 1}, [1]])
def test_wild_related_ids_are_400(api_client, value):
    response = api_client.post(
        "/api/v1/broadcasts/",
        {
            "program": value,
            "title": "x",
            "start": "2026-01-26T10:00:00Z",
            "stop": "2026-01-26T11:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 400 and "program" in response.json()


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [
        ("broadcasts", {"program": "99999999999999999999999"}, 400),
        ("broadcasts", {"program": "-3"}, 400),
        ("broadcasts", {"start_min": "tomorrow"}, 400),
        ("broadcasts", {"start_min": "0001-01-01T00:00:00+01:00"}, 400),
        ("broadcasts", {"start_max": "9999-12-31T23:00:00-05:00"}, 400),
        ("broadcasts", {"start_min": "2026-01-26T00:00:00+23:00"}, 200),  # PostgreSQL: ±15:59
        ("programs", {"updated_min": "1664-01-08T16:51:08.316-22:00"}, 200),
        ("programs", {"page_size": "-1"}, 200),
        ("programs", {"page": "x"}, 404),
        ("programs", {"ordering": "password"}, 200),
        ("programs", {"genre": "a\x00b"}, 400),
        ("items", {"status": "on air"}, 400),
    ],
)
def test_wild_filters_are_4xx_or_ignored_never_500(api_client, path, query, status):
    response = api_client.get(f"/api/v1/{path}/", query)
    assert response.status_code == status
    assert isinstance(response.json(), dict)


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-01:00", "2026-13-01T00:00Z"]
)
def test_dates_that_do_not_fit_are_400(api_client, moment):
    response = api_client.post(
        "/api/v1/campaigns/",
        {"title": "x", "start": moment, "stop": "2026-01-26T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 400 and "start" in response.json()


def test_more_requests_than_the_rate_are_429_with_retry_after(settings, api_client, api_key):
    # given
    settings.API_THROTTLE_RATE = "3/min"
    for _ in range(3):
        assert api_client.get(PROGRAMS).status_code == 200
    # when
    response = api_client.get(PROGRAMS)
    # then
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"]


def test_the_rate_is_counted_per_key(settings, api_client, api_key):
    settings.API_THROTTLE_RATE = "2/min"
    other = APIClient()
    other.credentials(HTTP_API_KEY=ApiKeyFactory(station=api_key.station).raw_key)
    for _ in range(2):
        api_client.get(PROGRAMS)
    assert api_client.get(PROGRAMS).status_code == 429
    assert other.get(PROGRAMS).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_icecast_updates_are_throttled_per_key_too(settings, live_server):
    settings.API_THROTTLE_RATE = "1/min"
    key = ApiKeyFactory()

    def update():
        return requests.get(
            f"{live_server.url}/admin/metadata?mode=updinfo&song=A%20-%20B",
            auth=HTTPBasicAuth("source", key.raw_key),
            timeout=10,
        )

    assert update().status_code == 200
    throttled = update()
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    assert "<return>0</return>" in throttled.text


def test_error_bodies_are_json_objects_with_detail(api_client):
    response = APIClient().post(
        PROGRAMS, json.dumps({"title": "x"}), content_type="application/json"
    )
    assert response.status_code == 401 and response.json() == {
        "detail": "Authentication credentials were not provided."
    }
