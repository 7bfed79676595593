"""`POST /in/<token>/`: what each request is answered and what is kept of it. Unknown or
disabled tokens and other methods leave no trace; everything else is kept, headers with
their credentials redacted; accepted requests are durable before the 202."""

import json
import logging

import pytest

from stations.models import TrackPlay
from tests.factories import InboundSourceFactory
from tests.inbound_helpers import XTRA_NEWTRACK, as_bytes, post, xtra_headers
from webhooks.gateway.tokens import RedactIngestTokens
from webhooks.models import InboundRequest

pytestmark = pytest.mark.django_db

SECRET = "xtra-shared-secret-1"
NEWTRACK = as_bytes(XTRA_NEWTRACK)


@pytest.fixture
def source():
    return InboundSourceFactory(kind="xtra", secret=SECRET)


def signed(body: bytes = NEWTRACK) -> dict[str, str]:
    return xtra_headers(body, SECRET)


def test_a_signed_request_is_accepted_kept_and_processed(client, source, capture_on_commit):
    # when
    with capture_on_commit(execute=True):
        response = post(client, source, NEWTRACK, signed())
    # then
    kept = InboundRequest.objects.get()
    assert response.status_code == 202
    assert response.json() == {"id": kept.pk, "status": "accepted"}
    assert (kept.outcome, kept.status, kept.response_status) == ("accepted", "processed", 202)
    assert bytes(kept.body) == NEWTRACK
    assert kept.headers["X-Webhook-Signature"] == signed()["X-Webhook-Signature"]
    assert kept.content_type == "application/json"
    assert kept.client_ip == "127.0.0.1"
    assert kept.verification == "X-Webhook-Signature (HMAC-SHA256, hex)"
    assert kept.dedup_key.startswith("sha256:") and kept.holds_key
    assert TrackPlay.objects.get().title == "Hey Jude"


@pytest.mark.parametrize(
    ("body", "headers", "status", "cause"),
    [
        (
            NEWTRACK,
            {"Content-Type": "application/json"},
            401,
            "Missing X-Webhook-Signature header.",
        ),
        (
            NEWTRACK,
            xtra_headers(NEWTRACK, "a-guess"),
            401,
            "X-Webhook-Signature does not match the body.",
        ),
        (
            NEWTRACK,
            signed() | {"Content-Type": "text/plain"},
            415,
            "Content-Type must be application/json, not text/plain.",
        ),
        (
            NEWTRACK,
            signed() | {"Content-Type": "application/json; charset=idna"},
            415,
            "Unsupported charset idna in Content-Type.",
        ),
        (b"\xff\xfe{}", signed(b"\xff\xfe{}"), 400, "The body is not text in its charset."),
    ],
    ids=["unsigned", "forged", "wrong-content-type", "unsupported-charset", "not-utf-8"],
)
def test_refused_requests_are_kept_with_the_cause(client, source, body, headers, status, cause):
    response = post(client, source, body, headers)
    kept = InboundRequest.objects.get()
    assert response.status_code == status
    assert response.json() == {"id": kept.pk, "status": "rejected", "detail": cause}
    assert (kept.outcome, kept.status, kept.cause) == ("rejected", "", cause)
    assert bytes(kept.body) == body and not kept.holds_key
    assert not TrackPlay.objects.exists()


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{not json", "Malformed JSON: Expecting property name enclosed in double quotes"),
        (b"[" * 70 + b"]" * 70, "Malformed JSON: JSON nested too deeply: at most 64 levels"),
        (b'{"n": NaN}', "Malformed JSON: Numbers must be finite: NaN is not allowed."),
        (b'["x"]', "The body must be a JSON object."),
        (b'{"x": "\\ud800"}', "Malformed JSON: Strings must be valid Unicode: a value holds"),
        (b'{"event": "station.studio.newtrack"}', "track must be a JSON object."),
        (b'{"event": "other"}', "event must be station.studio.newtrack or"),
        (
            b'{"event": "station.studio.newtrack", "track": {"title": ""}}',
            "track.title must be a non-empty string.",
        ),
        (
            b'{"event": "station.studio.newtrack", "track": {"title": "x", "duration": -1}}',
            "track.duration must be an integer from 0 to 2147483647.",
        ),
        (
            b'{"event": "station.studio.newtrack", "track": {"title": "x\\u0000"}}',
            "Malformed JSON: Null characters are not allowed.",
        ),
    ],
    ids=[
        "not-json",
        "too-deep",
        "nan",
        "not-an-object",
        "lone-surrogate",
        "no-track",
        "unknown-event",
        "no-title",
        "negative-duration",
        "nul",
    ],
)
def test_signed_but_malformed_bodies_are_400(client, source, body, detail):
    response = post(client, source, body, signed(body))
    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)
    assert InboundRequest.objects.get().outcome == "rejected"


def test_a_repeated_request_is_a_duplicate_and_not_processed_again(
    client, source, capture_on_commit
):
    with capture_on_commit(execute=True):
        first = post(client, source, NEWTRACK, signed())
        again = post(client, source, NEWTRACK, signed())
    assert again.status_code == 200
    original, duplicate = InboundRequest.objects.order_by("pk")
    assert again.json() == {
        "id": duplicate.pk,
        "status": "duplicate",
        "duplicate": True,
        "duplicate_of": first.json()["id"],
    }
    assert (duplicate.outcome, duplicate.status, duplicate.duplicate_of) == (
        "duplicate",
        "",
        original,
    )
    assert duplicate.cause.startswith(f"Duplicate of request #{original.pk} (sha256:")
    assert TrackPlay.objects.count() == 1


def test_credentials_in_headers_are_redacted_signatures_are_kept(client):
    source = InboundSourceFactory(
        kind="generic", auth="api-key", key="k-123", header_name="X-Token", secret=""
    )
    headers = {
        "Content-Type": "application/json",
        "X-Token": "k-123",
        "Authorization": "Bearer abc",
        "Cookie": "sessionid=abc",
        "Api-Key": "another",
        "X-Hub-Signature": "sha256=abc",
    }
    assert post(client, source, b"{}", headers).status_code == 202
    kept = InboundRequest.objects.get().headers
    for name in ("X-Token", "Authorization", "Cookie", "Api-Key"):
        assert kept[name] == "[redacted]"
    assert kept["X-Hub-Signature"] == "sha256=abc"


def test_unknown_and_disabled_tokens_and_other_methods_leave_no_trace(client, source):
    assert post(client, source, NEWTRACK, signed(), token="x" * 43).status_code == 404
    assert post(client, source, NEWTRACK, signed(), token="not a token!").status_code == 404
    response = client.get(source.ingest_path)
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert client.put(source.ingest_path, NEWTRACK).status_code == 405
    source.enabled = False
    source.save()
    assert post(client, source, NEWTRACK, signed()).status_code == 404
    assert not InboundRequest.objects.exists()


def test_a_body_over_the_limit_is_413_and_kept_without_it(client):
    source = InboundSourceFactory(secret=SECRET, max_body_bytes=1024)
    padding = 1024 - len(json.dumps({**XTRA_NEWTRACK, "pad": ""}))
    at_limit = json.dumps({**XTRA_NEWTRACK, "pad": "x" * padding}).encode()
    assert len(at_limit) == 1024
    assert post(client, source, at_limit, signed(at_limit)).status_code == 202
    over = at_limit[:-1] + b" }"
    response = post(client, source, over, signed(over))
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "The body is over this source's limit: 1025 bytes, at most 1024."
    )
    kept = InboundRequest.objects.order_by("pk").last()
    assert (kept.outcome, kept.response_status, bytes(kept.body)) == ("rejected", 413, b"")
    assert kept.headers["X-Webhook-Signature"] == signed(over)["X-Webhook-Signature"]


def test_the_client_address_behind_a_trusted_proxy(client, source, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    post(client, source, NEWTRACK, signed() | {"X-Forwarded-For": "203.0.113.7"})
    assert InboundRequest.objects.get().client_ip == "203.0.113.7"


def test_the_logs_never_show_a_sources_token(client, caplog):
    # given a source, and a request that fails verification (Django logs "Unauthorized: …")
    source = InboundSourceFactory(kind="xtra", secret="xtra-shared-secret-1")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = post(client, source, b"{}", {"Content-Type": "application/json"})
    assert response.status_code == 401
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    # then the handlers the settings install write the line without the token
    redacting = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactIngestTokens) for f in handler.filters)
    ]
    assert redacting
    for handler in redacting:
        assert handler.filter(record)
    assert source.token not in record.getMessage()
    assert record.getMessage() == "Unauthorized: /in/[redacted]/"
