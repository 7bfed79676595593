"""The inbound gateway's verifiers, as pure functions: each kind accepts requests signed
exactly as its vendor (or the Standard Webhooks spec, through its reference library) signs
them, and refuses forged, stale and unsigned ones; property tests over generated bodies,
secrets and tampering."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.inbound_helpers import standard_webhooks_headers, xtra_headers
from webhooks.gateway.verifiers import (
    TIMESTAMP_TOLERANCE_S,
    VerifierConfig,
    credentials_problem,
    verify,
)

NOW = datetime(2026, 1, 26, 14, 30, tzinfo=UTC)
BODY = b'{"event": "station.studio.newtrack", "track": {"title": "Hey Jude"}}'
XTRA = VerifierConfig(kind="xtra", secret="xtra-shared-secret-1")
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
STANDARD = VerifierConfig(kind="standard-webhooks", secret=WHSEC)

secrets_ = st.text(min_size=1, max_size=64).filter(lambda s: s.strip())
bodies = st.binary(max_size=2048)


def lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def check(config, headers, body=BODY, now=NOW):
    return verify(config, lower(headers), body, now=now)


# --- xtra ------------------------------------------------------------------------------


def test_xtra_accepts_its_own_signature_and_says_what_it_checked():
    verdict = check(XTRA, xtra_headers(BODY, XTRA.secret))
    assert verdict.ok and verdict.checked == "X-Webhook-Signature (HMAC-SHA256, hex)"


def test_xtra_accepts_upper_case_hex():
    headers = xtra_headers(BODY, XTRA.secret)
    headers["X-Webhook-Signature"] = headers["X-Webhook-Signature"].upper()
    assert check(XTRA, headers).ok


@pytest.mark.parametrize(
    ("headers", "cause"),
    [
        ({}, "Missing X-Webhook-Signature header."),
        ({"X-Webhook-Signature": "00" * 32}, "X-Webhook-Signature does not match the body."),
        (xtra_headers(BODY, "another-secret"), "X-Webhook-Signature does not match the body."),
        (xtra_headers(BODY + b" ", XTRA.secret), "X-Webhook-Signature does not match the body."),
    ],
    ids=["unsigned", "forged", "other-secret", "other-body"],
)
def test_xtra_refuses(headers, cause):
    verdict = check(XTRA, headers)
    assert not verdict.ok and verdict.cause == cause


@settings(max_examples=200)
@given(body=bodies, secret=secrets_)
def test_xtra_property_signed_bodies_verify(body, secret):
    config = VerifierConfig(kind="xtra", secret=secret)
    assert check(config, xtra_headers(body, secret), body).ok


@settings(max_examples=200)
@given(body=bodies.filter(bool), secret=secrets_, data=st.data())
def test_xtra_property_any_changed_byte_fails(body, secret, data):
    headers = xtra_headers(body, secret)
    position = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    tampered = body[:position] + bytes([body[position] ^ flip]) + body[position + 1 :]
    assert not check(VerifierConfig(kind="xtra", secret=secret), headers, tampered).ok


@settings(max_examples=200)
@given(body=bodies, secret=secrets_, other=secrets_)
def test_xtra_property_another_secret_fails(body, secret, other):
    if other == secret:
        return
    config = VerifierConfig(kind="xtra", secret=secret)
    assert not check(config, xtra_headers(body, other), body).ok


# --- Standard Webhooks -----------------------------------------------------------------


def test_standard_webhooks_accepts_the_reference_librarys_signature():
    verdict = check(STANDARD, standard_webhooks_headers(BODY, WHSEC, at=NOW))
    assert verdict.ok
    assert verdict.checked == "webhook-signature (Standard Webhooks, 300 s tolerance)"


def test_standard_webhooks_accepts_any_matching_entry_during_a_rotation():
    headers = standard_webhooks_headers(BODY, WHSEC, at=NOW)
    old = standard_webhooks_headers(BODY, "whsec_" + base64.b64encode(b"o" * 24).decode(), at=NOW)
    headers["webhook-signature"] = f"{old['webhook-signature']} {headers['webhook-signature']}"
    assert check(STANDARD, headers).ok
    headers["webhook-signature"] = f"v1a,abc {old['webhook-signature']}"
    assert check(STANDARD, headers).cause == "No v1 entry of webhook-signature matches."


@pytest.mark.parametrize("off_s", [-TIMESTAMP_TOLERANCE_S, 0, TIMESTAMP_TOLERANCE_S])
def test_standard_webhooks_tolerance_is_five_minutes_either_way(off_s):
    at = NOW - timedelta(seconds=off_s)
    assert check(STANDARD, standard_webhooks_headers(BODY, WHSEC, at=at)).ok


@pytest.mark.parametrize(
    ("off_s", "cause"),
    [
        (301, "webhook-timestamp is 301 s old (at most 300 s either way)."),
        (-301, "webhook-timestamp is 301 s in the future (at most 300 s either way)."),
    ],
)
def test_standard_webhooks_refuses_stale_and_future_timestamps(off_s, cause):
    at = NOW - timedelta(seconds=off_s)
    verdict = check(STANDARD, standard_webhooks_headers(BODY, WHSEC, at=at))
    assert not verdict.ok and verdict.cause == cause


@pytest.mark.parametrize(
    ("change", "cause"),
    [
        ({"webhook-id": ""}, "Missing webhook-id header."),
        ({"webhook-signature": ""}, "Missing webhook-signature header."),
        ({"webhook-timestamp": "soon"}, "webhook-timestamp is not a UNIX time in seconds."),
        ({"webhook-timestamp": "١٧٦٩٤٣٧٨٠٠"}, "webhook-timestamp is not a UNIX time in seconds."),
        ({"webhook-id": "msg_other"}, "No v1 entry of webhook-signature matches."),
    ],
    ids=["no-id", "no-signature", "bad-timestamp", "non-ascii-digits", "replayed-under-new-id"],
)
def test_standard_webhooks_refuses(change, cause):
    headers = standard_webhooks_headers(BODY, WHSEC, at=NOW) | change
    verdict = check(STANDARD, headers)
    assert not verdict.ok and verdict.cause == cause


@settings(max_examples=150)
@given(body=st.text(max_size=500), key=st.binary(min_size=16, max_size=64), off_s=st.integers())
def test_standard_webhooks_property_agrees_with_the_reference_library(body, key, off_s):
    secret = "whsec_" + base64.b64encode(key).decode()
    at = NOW + timedelta(seconds=max(min(off_s, 10**8), -(10**8)))
    headers = standard_webhooks_headers(body.encode(), secret, at=at)
    verdict = check(VerifierConfig(kind="standard-webhooks", secret=secret), headers, body.encode())
    assert verdict.ok == (abs((NOW - at).total_seconds()) <= TIMESTAMP_TOLERANCE_S)


# --- RadioManager, Radio Mast ----------------------------------------------------------


RADIOMANAGER = VerifierConfig(kind="radiomanager", key="rm-push-key")


def test_radiomanager_needs_its_api_key():
    assert check(RADIOMANAGER, {"api-key": "rm-push-key"}).ok
    assert check(RADIOMANAGER, {"api-key": "rm-push-kez"}).cause == "Wrong api-key."
    assert check(RADIOMANAGER, {}).cause == "Missing api-key header."


def test_radiomanager_with_a_secret_needs_the_hmac_header_too():
    config = VerifierConfig(
        kind="radiomanager", key="rm-push-key", secret="rm-hmac", header_name="X-Signature"
    )
    signature = hmac.new(b"rm-hmac", BODY, hashlib.sha256).hexdigest()
    verdict = check(config, {"api-key": "rm-push-key", "X-Signature": signature})
    assert verdict.ok and verdict.checked == "api-key; X-Signature (HMAC-SHA256, hex)"
    assert check(config, {"api-key": "rm-push-key"}).cause == "Missing X-Signature header."
    assert check(config, {"api-key": "wrong", "X-Signature": signature}).cause == "Wrong api-key."


def test_radiomast_trusts_its_token_or_an_hmac_header():
    assert check(VerifierConfig(kind="radiomast"), {}).ok
    config = VerifierConfig(kind="radiomast", secret="rm", header_name="X-Webhook-Signature")
    assert not check(config, {}).ok
    assert check(config, xtra_headers(BODY, "rm")).ok


# --- generic ---------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["sha256", "sha512"])
@pytest.mark.parametrize("encoding", ["hex", "base64"])
@pytest.mark.parametrize("prefix", ["", "sha256="])
def test_generic_hmac_in_every_form(algorithm, encoding, prefix):
    config = VerifierConfig(
        kind="generic",
        secret="generic-secret",
        auth="hmac",
        header_name="X-Hub-Signature",
        signature_prefix=prefix,
        algorithm=algorithm,
        encoding=encoding,
    )
    digest = hmac.new(b"generic-secret", BODY, getattr(hashlib, algorithm)).digest()
    written = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
    assert check(config, {"X-Hub-Signature": prefix + written}).ok
    assert not check(config, {"X-Hub-Signature": prefix + written[:-2] + "AA"}).ok
    if prefix:
        assert check(config, {"X-Hub-Signature": written}).cause == (
            "X-Hub-Signature does not start with 'sha256='."
        )


def test_generic_base64_that_does_not_decode_is_a_mismatch_not_an_error():
    config = VerifierConfig(
        kind="generic", secret="s", auth="hmac", header_name="Sig", encoding="base64"
    )
    assert check(config, {"Sig": "%%%not base64"}).cause == "Sig does not match the body."


def test_generic_api_key_basic_and_none():
    key = VerifierConfig(kind="generic", auth="api-key", key="k-123", header_name="X-Token")
    assert check(key, {"X-Token": "k-123"}).ok
    assert check(key, {"X-Token": "k-124"}).cause == "Wrong X-Token."
    basic = VerifierConfig(kind="generic", auth="basic", username="hub", key="pw")
    good = "Basic " + base64.b64encode(b"hub:pw").decode()
    wrong = "Basic " + base64.b64encode(b"hub:pv").decode()
    assert check(basic, {"Authorization": good}).ok
    assert check(basic, {"Authorization": wrong}).cause == "Wrong user name or password."
    assert check(basic, {"Authorization": "Basic %%%"}).cause == (
        "Malformed basic Authorization header."
    )
    assert check(basic, {}).cause == "Missing basic Authorization header."
    assert check(VerifierConfig(kind="generic", auth="none"), {}).ok


@settings(max_examples=200)
@given(
    body=bodies,
    secret=secrets_,
    algorithm=st.sampled_from(["sha256", "sha512"]),
    encoding=st.sampled_from(["hex", "base64"]),
    signature=st.text(max_size=200),
)
def test_generic_property_only_the_right_signature_passes(
    body, secret, algorithm, encoding, signature
):
    config = VerifierConfig(
        kind="generic",
        secret=secret,
        auth="hmac",
        header_name="X-Sig",
        algorithm=algorithm,
        encoding=encoding,
    )
    digest = hmac.new(secret.encode(), body, getattr(hashlib, algorithm)).digest()
    right = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
    assert check(config, {"X-Sig": right}, body).ok
    verdict = check(config, {"X-Sig": signature}, body)  # never raises
    assert verdict.ok == (
        signature.strip().lower() == right.lower()
        if encoding == "hex"
        else _decodes_to(signature.strip(), digest)
    )


def _decodes_to(text: str, digest: bytes) -> bool:
    try:
        return base64.b64decode(text, validate=True) == digest
    except ValueError:
        return False


# --- settings a source cannot do without -----------------------------------------------


@pytest.mark.parametrize(
    ("config", "missing"),
    [
        (VerifierConfig(kind="xtra"), {"secret"}),
        (VerifierConfig(kind="standard-webhooks"), {"secret"}),
        (VerifierConfig(kind="radiomanager"), {"key"}),
        (
            VerifierConfig(kind="radiomanager", key="k", secret="s", header_name=" "),
            {"header_name"},
        ),
        (VerifierConfig(kind="radiomast"), set()),
        (VerifierConfig(kind="generic", auth="hmac", header_name="X"), {"secret"}),
        (VerifierConfig(kind="generic", auth="api-key", key="k"), {"header_name"}),
        (VerifierConfig(kind="generic", auth="basic"), {"username", "key"}),
        (VerifierConfig(kind="generic", auth="none"), set()),
    ],
)
def test_credentials_a_source_cannot_do_without(config, missing):
    assert set(credentials_problem(config)) == missing
