"""Request headers and signatures (docs/delivery-rules.md, "The request"), checked
against the official `standardwebhooks` verifier and a plain HMAC computed here, never
against signing.py itself."""

import base64
import binascii
import hashlib
import hmac
import json
import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webhooks.signing import (
    SHORT_SECRET_MASK,
    build_request_headers,
    generate_secret,
    mask_secret,
    secret_problem,
    standard_webhooks_signature,
    xtra_signature,
)

# Modest and deterministic enough for the default suite; no .hypothesis/ directory is written.
PROPERTY = settings(max_examples=200, deadline=None, database=None)

WHSEC_SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
PLAIN_SECRET = "my-shared-secret-ÄÖÜ"  # non-ASCII on purpose: the key is its UTF-8 bytes
BODY = json.dumps({"event": "station.studio.newtrack", "data": {"title": "Ünïcode"}}).encode()
MESSAGE_ID = "msg_2pQ6ZxZ2b3Q4"
USER_AGENT = "StationHooks/1.2.3"

BOTH_KINDS_OF_SECRET = pytest.mark.parametrize(
    "secret", [WHSEC_SECRET, PLAIN_SECRET], ids=["whsec", "plain"]
)


def now() -> int:
    return int(time.time())


def headers_for(body: bytes, secret: str, *, key: str = "", timestamp: int | None = None):
    return build_request_headers(
        body=body,
        message_id=MESSAGE_ID,
        timestamp=now() if timestamp is None else timestamp,
        secret=secret,
        key=key,
        user_agent=USER_AGENT,
    )


def _reference_b64(text: str) -> bytes | None:
    """base64 decoded the way the reference verifier decodes a whsec_ secret."""
    try:
        return base64.b64decode(text + "==")
    except (binascii.Error, ValueError):
        return None


def contract_key(secret: str) -> bytes:
    """The Standard Webhooks key docs/delivery-rules.md names: a `whsec_<base64>` secret's decoded
    bytes (decoded as the reference verifier does), any other secret's UTF-8 bytes."""
    if secret.startswith("whsec_") and (decoded := _reference_b64(secret[len("whsec_") :])):
        return decoded
    return secret.encode()


def verifier_for(secret: str) -> Webhook:
    """The receiver's side, as the contract describes it: a `whsec_<base64>` secret is given
    to the verifier as is (it decodes the base64); any other secret is given as UTF-8 bytes."""
    if secret.startswith("whsec_") and _reference_b64(secret[len("whsec_") :]):
        return Webhook(secret)
    return Webhook(secret.encode())


def plain_hex_hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def flip_one_byte(body: bytes, index: int, mask: int) -> bytes:
    index %= len(body)
    return body[:index] + bytes([body[index] ^ mask]) + body[index + 1 :]


# --- Standard Webhooks headers verify with the official package ---------------------------


def test_whsec_secret_verifies_with_standardwebhooks_given_the_secret_string():
    # given
    headers = headers_for(BODY, WHSEC_SECRET)

    # when
    payload = Webhook(WHSEC_SECRET).verify(BODY, headers)

    # then
    assert payload == json.loads(BODY)


def test_generated_secret_verifies_with_standardwebhooks():
    # given
    secret = generate_secret()
    headers = headers_for(BODY, secret)

    # when
    payload = Webhook(secret).verify(BODY, headers)

    # then
    assert payload == json.loads(BODY)


def test_plain_secret_verifies_with_standardwebhooks_given_its_utf8_bytes():
    # given
    headers = headers_for(BODY, PLAIN_SECRET)

    # when
    payload = Webhook(PLAIN_SECRET.encode()).verify(BODY, headers)

    # then
    assert payload == json.loads(BODY)


def test_whsec_secret_is_keyed_with_the_decoded_bytes_not_the_text():
    # given: a receiver that (wrongly, for a whsec_ secret) keys with the UTF-8 text
    headers = headers_for(BODY, WHSEC_SECRET)

    # then
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(WHSEC_SECRET.encode()).verify(BODY, headers)


def test_whsec_prefixed_secret_that_is_not_base64_is_keyed_with_its_utf8_bytes():
    # given: "any other secret" includes one that only looks like whsec_
    secret = "whsec_not base64!"
    headers = headers_for(BODY, secret)

    # when
    payload = Webhook(secret.encode()).verify(BODY, headers)

    # then
    assert payload == json.loads(BODY)


@BOTH_KINDS_OF_SECRET
def test_wrong_secret_does_not_verify(secret):
    # given
    headers = headers_for(BODY, secret)

    # then
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(generate_secret()).verify(BODY, headers)


@BOTH_KINDS_OF_SECRET
@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp"])
def test_tampered_signed_header_does_not_verify(secret, header):
    # given
    headers = headers_for(BODY, secret)
    headers[header] = "msg_other" if header == "webhook-id" else str(int(headers[header]) - 1)

    # then
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        verifier_for(secret).verify(BODY, headers)


def test_signature_matches_an_independent_computation_of_the_spec():
    # given
    timestamp = 1_700_000_000
    key = bytes(range(32))
    signed = f"{MESSAGE_ID}.{timestamp}.".encode() + BODY
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()

    # when
    signature = standard_webhooks_signature(MESSAGE_ID, timestamp, BODY, WHSEC_SECRET)

    # then
    assert signature == expected


@BOTH_KINDS_OF_SECRET
def test_only_timestamp_and_standard_signature_change_between_attempts(secret):
    # given
    first = headers_for(BODY, secret, key="k", timestamp=1_700_000_000)

    # when
    retry = headers_for(BODY, secret, key="k", timestamp=1_700_000_060)

    # then
    changed = {name for name in first if first[name] != retry[name]}
    assert changed == {"webhook-timestamp", "webhook-signature"}
    assert retry["webhook-timestamp"] == "1700000060"
    assert retry["webhook-id"] == MESSAGE_ID


# --- X-Webhook-Signature: hex HMAC-SHA256 keyed with the secret text as shown ---------------


@BOTH_KINDS_OF_SECRET
def test_xtra_header_is_plain_hex_hmac_of_the_body_with_the_secret_text(secret):
    # given
    expected = hmac.new(secret.encode(), BODY, hashlib.sha256).hexdigest()

    # when
    headers = headers_for(BODY, secret)

    # then
    assert headers["X-Webhook-Signature"] == expected
    assert xtra_signature(BODY, secret) == expected


def test_xtra_signature_keeps_the_whsec_prefix_in_the_key():
    # given: keyed with the decoded bytes, as Standard Webhooks would — not what xtra does
    decoded_key = base64.b64decode(WHSEC_SECRET.removeprefix("whsec_"))
    decoded_hmac = hmac.new(decoded_key, BODY, hashlib.sha256).hexdigest()

    # when
    signature = xtra_signature(BODY, WHSEC_SECRET)

    # then
    assert signature != decoded_hmac
    assert signature == plain_hex_hmac(WHSEC_SECRET, BODY)


def test_xtra_signature_is_lowercase_hex_sha256():
    # when
    signature = xtra_signature(BODY, PLAIN_SECRET)

    # then
    assert len(signature) == 64
    assert set(signature) <= set("0123456789abcdef")


def test_xtra_signature_of_empty_body_is_a_known_value():
    # given: HMAC-SHA256(key="key", message="") from a standard test vector
    expected = "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0"

    # then
    assert xtra_signature(b"", "key") == expected


# --- which headers are sent -------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "key", "expected_names"),
    [
        ("", "", set()),
        ("", "api-key-value", {"api-key"}),
        (WHSEC_SECRET, "", {"X-Webhook-Signature", "webhook-signature"}),
        (PLAIN_SECRET, "api-key-value", {"api-key", "X-Webhook-Signature", "webhook-signature"}),
    ],
    ids=["neither", "key-only", "secret-only", "both"],
)
def test_optional_headers_depend_on_key_and_secret(secret, key, expected_names):
    # given
    always = {"Content-Type", "User-Agent", "webhook-id", "webhook-timestamp"}

    # when
    headers = headers_for(BODY, secret, key=key, timestamp=1_700_000_000)

    # then
    assert set(headers) == always | expected_names
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == USER_AGENT
    assert headers["webhook-id"] == MESSAGE_ID
    assert headers["webhook-timestamp"] == "1700000000"
    if key:
        assert headers["api-key"] == key


def test_api_key_is_sent_verbatim():
    # when
    headers = headers_for(BODY, "", key="  Bearer-ish key/with+chars= ")

    # then
    assert headers["api-key"] == "  Bearer-ish key/with+chars= "


def test_user_agent_is_passed_through():
    # when
    headers = build_request_headers(
        body=BODY, message_id="m", timestamp=1, secret="", key="", user_agent="Custom/9 (x)"
    )

    # then
    assert headers["User-Agent"] == "Custom/9 (x)"


def test_every_header_value_is_a_string():
    # when
    headers = headers_for(BODY, PLAIN_SECRET, key="k")

    # then
    assert all(isinstance(value, str) for value in headers.values())


def test_unsigned_request_does_not_verify():
    # given
    headers = headers_for(BODY, "")

    # then
    with pytest.raises(WebhookVerificationError, match="Missing required headers"):
        Webhook(generate_secret()).verify(BODY, headers)


# --- generate_secret ---------------------------------------------------------------------


def test_generated_secret_is_whsec_and_base64_of_32_bytes():
    # when
    secret = generate_secret()

    # then
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32


def test_generated_secrets_differ_every_call():
    # when
    secrets = [generate_secret() for _ in range(100)]

    # then
    assert len(set(secrets)) == 100
    assert len({base64.b64decode(s.removeprefix("whsec_")) for s in secrets}) == 100


# --- mask_secret -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "masked"),
    [
        ("", ""),
        (WHSEC_SECRET, "whsec_…" + WHSEC_SECRET[-4:]),
        ("whsec_short", SHORT_SECRET_MASK),
        ("abcdefghijklmnop", "…mnop"),
        ("abcdefghijklmno", SHORT_SECRET_MASK),
        ("x", SHORT_SECRET_MASK),
    ],
)
def test_mask_secret_shows_only_the_shape(secret, masked):
    assert mask_secret(secret) == masked


def test_mask_secret_of_generated_secret_hides_it():
    # given
    secret = generate_secret()

    # when
    masked = mask_secret(secret)

    # then
    assert secret not in masked
    assert masked == "whsec_…" + secret[-4:]


@PROPERTY
@given(
    secret=st.one_of(
        st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1),
        st.text(min_size=1),
        st.builds(lambda _: generate_secret(), st.none()),
        st.text(min_size=1).map(lambda rest: "whsec_" + rest),
    )
)
def test_mask_secret_never_contains_the_full_secret(secret):
    # a secret that is part of the fixed short mask itself cannot be told apart from it
    assume(secret not in SHORT_SECRET_MASK)
    assert secret not in mask_secret(secret)


def test_mask_secret_hides_a_bare_whsec_prefix_secret():
    assert "whsec_" not in mask_secret("whsec_")


# --- properties --------------------------------------------------------------------------

SECRETS = st.one_of(
    st.text(min_size=1),
    st.binary(min_size=1, max_size=64).map(lambda key: "whsec_" + base64.b64encode(key).decode()),
)


@PROPERTY
@given(body=st.text().map(str.encode), secret=SECRETS)
def test_any_utf8_body_and_secret_verify_with_standardwebhooks_and_hex_hmac(body, secret):
    # The official verifier decodes the body as UTF-8 text, so it can only check UTF-8 bodies;
    # arbitrary bytes are covered by the independent check below.
    # given
    headers = headers_for(body, secret)

    # when
    verifier_for(secret).verify(body, headers, json_parse=False)

    # then
    assert headers["X-Webhook-Signature"] == plain_hex_hmac(secret, body)


@PROPERTY
@given(body=st.binary(), secret=SECRETS, timestamp=st.integers(0, 2**40))
def test_any_body_bytes_sign_as_the_spec_says(body, secret, timestamp):
    # given
    key = contract_key(secret)
    signed = f"{MESSAGE_ID}.{timestamp}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()

    # when
    headers = headers_for(body, secret, timestamp=timestamp)

    # then
    assert headers["webhook-signature"] == expected
    assert headers["X-Webhook-Signature"] == plain_hex_hmac(secret, body)


@PROPERTY
@given(
    body=st.text(min_size=1).map(str.encode),
    secret=SECRETS,
    index=st.integers(min_value=0),
    mask=st.integers(1, 255),
)
def test_flipping_one_byte_of_a_utf8_body_fails_both_checks(body, secret, index, mask):
    # given
    headers = headers_for(body, secret)
    tampered = flip_one_byte(body, index, mask)

    # then: the flip may also break UTF-8, which the verifier rejects while decoding
    with pytest.raises((WebhookVerificationError, UnicodeDecodeError)):
        verifier_for(secret).verify(tampered, headers, json_parse=False)
    assert plain_hex_hmac(secret, tampered) != headers["X-Webhook-Signature"]


@PROPERTY
@given(
    body=st.binary(min_size=1),
    secret=SECRETS,
    index=st.integers(min_value=0),
    mask=st.integers(1, 255),
)
def test_flipping_one_byte_of_any_body_changes_both_signatures(body, secret, index, mask):
    # given
    timestamp = now()
    original = headers_for(body, secret, timestamp=timestamp)
    tampered = flip_one_byte(body, index, mask)

    # when
    resigned = headers_for(tampered, secret, timestamp=timestamp)

    # then
    assert plain_hex_hmac(secret, tampered) != original["X-Webhook-Signature"]
    assert resigned["X-Webhook-Signature"] != original["X-Webhook-Signature"]
    assert resigned["webhook-signature"] != original["webhook-signature"]


# --- edge cases of operator-entered secrets ---


def test_bare_whsec_secret_is_not_signed_with_an_empty_key():
    # given
    timestamp = now()
    signed = f"{MESSAGE_ID}.{timestamp}.".encode() + BODY
    forged = "v1," + base64.b64encode(hmac.new(b"", signed, hashlib.sha256).digest()).decode()

    # when
    signature = standard_webhooks_signature(MESSAGE_ID, timestamp, BODY, "whsec_")

    # then
    assert signature != forged


def test_unpadded_whsec_secret_verifies_with_standardwebhooks():
    # given: 32 bytes -> 44 base64 chars ending in one '=', stripped as some tools do
    secret = generate_secret().rstrip("=")
    headers = headers_for(BODY, secret)

    # when
    payload = Webhook(secret).verify(BODY, headers)

    # then
    assert payload == json.loads(BODY)


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("short", "Use at least 16 characters."),
        (
            "whsec_" + "!" * 20,
            "A whsec_ secret must carry at least 16 bytes of base64 after the prefix.",
        ),
        (
            "whsec_" + base64.b64encode(b"k" * 8).decode(),
            "A whsec_ secret must carry at least 16 bytes of base64 after the prefix.",
        ),
        ("a-long-enough-plain-secret", None),
        (WHSEC_SECRET, None),
    ],
)
def test_secret_problem_explains_unfit_secrets(secret, problem):
    assert secret_problem(secret) == problem
