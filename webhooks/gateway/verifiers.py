"""Verifying an inbound request, as pure functions of the source's settings, the request's
headers and raw body bytes, and the time of receipt (docs/inbound-gateway.md states the
rules for operators).

Per kind of source:
- `xtra`: `X-Webhook-Signature` is the hex HMAC-SHA256 of the raw body, keyed with the
  secret's UTF-8 bytes;
- `standard-webhooks`: `webhook-id`, `webhook-timestamp` and `webhook-signature` (one or
  more space-separated `v1,<base64>` entries; any one matching will do, so a sender can
  rotate its secret) over `{id}.{timestamp}.{body}`, the timestamp within
  TIMESTAMP_TOLERANCE_S of receipt either way;
- `radiomanager`: the `api-key` header equals the source's key; with a secret, an HMAC
  header as well (the settings of `generic`'s HMAC);
- `radiomast`: the URL token is the shared secret; with a secret, an HMAC header as well;
- `generic`: an HMAC of the body (SHA-256 or SHA-512, hex or base64, in a chosen header,
  after an optional prefix), a key in a chosen header, HTTP basic auth, or nothing.

Every comparison of a secret or signature is constant-time (`hmac.compare_digest`).
Headers are given with lower-case names.
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from webhooks.choices import GenericAuth, SignatureAlgorithm, SignatureEncoding, SourceKind
from webhooks.signing import standard_webhooks_signature, xtra_signature

__all__ = [
    "TIMESTAMP_TOLERANCE_S",
    "Verdict",
    "VerifierConfig",
    "credentials_problem",
    "verify",
]

TIMESTAMP_TOLERANCE_S = 300
XTRA_HEADER = "x-webhook-signature"
API_KEY_HEADER = "api-key"


@dataclass(frozen=True)
class VerifierConfig:
    """What a source says about verifying its requests (InboundSource.verifier_config)."""

    kind: str
    secret: str = ""
    key: str = ""
    auth: str = GenericAuth.HMAC
    header_name: str = ""
    signature_prefix: str = ""
    algorithm: str = SignatureAlgorithm.SHA256
    encoding: str = SignatureEncoding.HEX
    username: str = ""


@dataclass(frozen=True)
class Verdict:
    """`checked`: what was verified, for the log; `cause`: why it failed ("" if it did not)."""

    ok: bool
    checked: str
    cause: str = ""


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _describe_hmac(config: VerifierConfig) -> str:
    prefix = f", after {config.signature_prefix!r}" if config.signature_prefix else ""
    label = SignatureAlgorithm(config.algorithm).label
    return f"{config.header_name} ({label}, {config.encoding}{prefix})"


def _check_hmac(config: VerifierConfig, headers: Mapping[str, str], body: bytes) -> Verdict:
    checked = _describe_hmac(config)
    given = headers.get(config.header_name.lower(), "").strip()
    if not given:
        return Verdict(False, checked, f"Missing {config.header_name} header.")
    prefix = config.signature_prefix
    if prefix and not given.lower().startswith(prefix.lower()):
        return Verdict(False, checked, f"{config.header_name} does not start with {prefix!r}.")
    given = given[len(prefix) :].strip()
    digest = hmac.new(config.secret.encode(), body, getattr(hashlib, config.algorithm)).digest()
    if config.encoding == SignatureEncoding.HEX:
        matches = _same(given.lower(), digest.hex())
    else:
        try:
            matches = hmac.compare_digest(base64.b64decode(given, validate=True), digest)
        except (binascii.Error, ValueError):
            matches = False
    if not matches:
        return Verdict(False, checked, f"{config.header_name} does not match the body.")
    return Verdict(True, checked)


def _check_xtra(config: VerifierConfig, headers: Mapping[str, str], body: bytes) -> Verdict:
    checked = "X-Webhook-Signature (HMAC-SHA256, hex)"
    given = headers.get(XTRA_HEADER, "").strip()
    if not given:
        return Verdict(False, checked, "Missing X-Webhook-Signature header.")
    if not _same(given.lower(), xtra_signature(body, config.secret)):
        return Verdict(False, checked, "X-Webhook-Signature does not match the body.")
    return Verdict(True, checked)


def _check_standard_webhooks(
    config: VerifierConfig, headers: Mapping[str, str], body: bytes, now: datetime
) -> Verdict:
    checked = f"webhook-signature (Standard Webhooks, {TIMESTAMP_TOLERANCE_S} s tolerance)"
    message_id = headers.get("webhook-id", "").strip()
    timestamp = headers.get("webhook-timestamp", "").strip()
    signatures = headers.get("webhook-signature", "").split()
    missing = [
        name
        for name, value in (
            ("webhook-id", message_id),
            ("webhook-timestamp", timestamp),
            ("webhook-signature", signatures),
        )
        if not value
    ]
    if missing:
        return Verdict(False, checked, f"Missing {', '.join(missing)} header.")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return Verdict(False, checked, "webhook-timestamp is not a UNIX time in seconds.")
    off_s = int(now.timestamp()) - int(timestamp)
    if abs(off_s) > TIMESTAMP_TOLERANCE_S:
        when = "old" if off_s > 0 else "in the future"
        return Verdict(
            False,
            checked,
            f"webhook-timestamp is {abs(off_s)} s {when} "
            f"(at most {TIMESTAMP_TOLERANCE_S} s either way).",
        )
    expected = standard_webhooks_signature(message_id, int(timestamp), body, config.secret)
    # Every entry is compared, so the time taken does not say which one matched.
    matches = [_same(entry, expected) for entry in signatures if entry.startswith("v1,")]
    if not any(matches):
        return Verdict(False, checked, "No v1 entry of webhook-signature matches.")
    return Verdict(True, checked)


def _check_key(headers: Mapping[str, str], header_name: str, key: str, *, checked: str) -> Verdict:
    given = headers.get(header_name.lower(), "").strip()
    if not given:
        return Verdict(False, checked, f"Missing {header_name} header.")
    if not _same(given, key):
        return Verdict(False, checked, f"Wrong {header_name}.")
    return Verdict(True, checked)


def _check_basic(config: VerifierConfig, headers: Mapping[str, str]) -> Verdict:
    checked = "Authorization (HTTP basic)"
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return Verdict(False, checked, "Missing basic Authorization header.")
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, ValueError):
        return Verdict(False, checked, "Malformed basic Authorization header.")
    username, _, password = decoded.partition(":")
    # Both compared whatever the first one says (&, not and).
    if not (_same(username, config.username) & _same(password, config.key)):
        return Verdict(False, checked, "Wrong user name or password.")
    return Verdict(True, checked)


def _check_generic(config: VerifierConfig, headers: Mapping[str, str], body: bytes) -> Verdict:
    if config.auth == GenericAuth.HMAC:
        return _check_hmac(config, headers, body)
    if config.auth == GenericAuth.API_KEY:
        return _check_key(headers, config.header_name, config.key, checked=config.header_name)
    if config.auth == GenericAuth.BASIC:
        return _check_basic(config, headers)
    return Verdict(True, "nothing (the URL token only)")


def _with_optional_hmac(
    verdict: Verdict, config: VerifierConfig, headers: Mapping[str, str], body: bytes
) -> Verdict:
    """`verdict`, then the HMAC header too when the source has a secret."""
    if not verdict.ok or not config.secret:
        return verdict
    signed = _check_hmac(config, headers, body)
    return Verdict(signed.ok, f"{verdict.checked}; {signed.checked}", signed.cause)


def verify(
    config: VerifierConfig, headers: Mapping[str, str], body: bytes, *, now: datetime
) -> Verdict:
    """Whether a request to a source with `config` proves where it comes from."""
    if config.kind == SourceKind.XTRA:
        return _check_xtra(config, headers, body)
    if config.kind == SourceKind.STANDARD_WEBHOOKS:
        return _check_standard_webhooks(config, headers, body, now)
    if config.kind == SourceKind.RADIOMANAGER:
        verdict = _check_key(headers, API_KEY_HEADER, config.key, checked=API_KEY_HEADER)
        return _with_optional_hmac(verdict, config, headers, body)
    if config.kind == SourceKind.RADIOMAST:
        verdict = Verdict(True, "the URL token")
        return _with_optional_hmac(verdict, config, headers, body)
    return _check_generic(config, headers, body)


def _needed_fields(config: VerifierConfig) -> tuple[str, ...]:
    """The settings a source of this kind (and generic verification) cannot do without."""
    if config.kind in (SourceKind.XTRA, SourceKind.STANDARD_WEBHOOKS):
        return ("secret",)
    if config.kind in (SourceKind.RADIOMANAGER, SourceKind.RADIOMAST):
        signed = ("header_name",) if config.secret else ()
        return ("key", *signed) if config.kind == SourceKind.RADIOMANAGER else signed
    return {
        GenericAuth.HMAC: ("secret", "header_name"),
        GenericAuth.API_KEY: ("key", "header_name"),
        GenericAuth.BASIC: ("username", "key"),
        GenericAuth.NONE: (),
    }[config.auth]


_MISSING = {
    "secret": "This kind of source signs its requests: enter its secret.",
    "key": "Enter the key the sender puts in its header (for basic auth: the password).",
    "header_name": "Name the header that carries the signature or the key.",
    "username": "Enter the user name.",
}


def credentials_problem(config: VerifierConfig) -> dict[str, str]:
    """What a source's settings lack to verify anything: {field: message}, empty when
    nothing. A source saved without them would reject every request."""
    return {
        name: _MISSING[name]
        for name in _needed_fields(config)
        if not str(getattr(config, name)).strip()
    }
