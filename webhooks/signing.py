"""Request headers and signatures, as pure functions of their inputs.

Two signatures are sent when the webhook has a secret:
- `X-Webhook-Signature`: hex HMAC-SHA256 of the raw body, keyed with the secret's UTF-8
  bytes exactly as the operator sees it (xtra's scheme);
- `webhook-signature`: Standard Webhooks `v1,<base64>` over `{id}.{timestamp}.{body}`,
  keyed with the decoded bytes of a `whsec_<base64>` secret, or with the UTF-8 bytes of
  any other secret, so off-the-shelf verifiers (standardwebhooks, svix) accept it.
"""

import base64
import binascii
import hashlib
import hmac
import secrets

__all__ = [
    "build_request_headers",
    "generate_secret",
    "mask_secret",
    "secret_problem",
    "standard_webhooks_signature",
    "xtra_signature",
]

SECRET_PREFIX = "whsec_"


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


SECRET_MIN_LENGTH = 16
SHORT_SECRET_MASK = "••••"


def mask_secret(secret: str) -> str:
    """What list pages and logs may show of a secret or key: its kind and last four
    characters when it is long enough for that to reveal little, else a fixed mask."""
    if not secret:
        return ""
    if len(secret) < SECRET_MIN_LENGTH:
        return SHORT_SECRET_MASK
    prefix = SECRET_PREFIX if secret.startswith(SECRET_PREFIX) else ""
    return f"{prefix}…{secret[-4:]}"


def secret_problem(secret: str) -> str | None:
    """Why an operator's secret is unfit for signing, or None when it is fine."""
    if len(secret) < SECRET_MIN_LENGTH:
        return f"Use at least {SECRET_MIN_LENGTH} characters."
    if secret.startswith(SECRET_PREFIX) and len(_decoded_whsec_key(secret)) < 16:
        return "A whsec_ secret must carry at least 16 bytes of base64 after the prefix."
    return None


def _decoded_whsec_key(secret: str) -> bytes:
    """Decode as the reference verifiers do (padding added, stray characters skipped)."""
    try:
        return base64.b64decode(secret[len(SECRET_PREFIX) :] + "==")
    except (binascii.Error, ValueError):
        return b""


def _standard_webhooks_key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        key = _decoded_whsec_key(secret)
        if key:
            return key
    return secret.encode()


def xtra_signature(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_webhooks_signature(message_id: str, timestamp: int, body: bytes, secret: str) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_standard_webhooks_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def build_request_headers(
    *,
    body: bytes,
    message_id: str,
    timestamp: int,
    secret: str,
    key: str,
    user_agent: str,
    previous_secret: str = "",
) -> dict[str, str]:
    """Every header of one attempt. Only `webhook-timestamp` and the Standard Webhooks
    signature change between attempts; the body and `webhook-id` never do.

    During a secret rotation's grace period `previous_secret` is given: webhook-signature
    then carries a signature with each secret (space-separated, as Standard Webhooks
    allows), so receivers still holding the old one keep verifying."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": user_agent,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
    }
    if key:
        headers["api-key"] = key
    if secret:
        headers["X-Webhook-Signature"] = xtra_signature(body, secret)
        headers["webhook-signature"] = " ".join(
            standard_webhooks_signature(message_id, timestamp, body, each)
            for each in (secret, previous_secret)
            if each
        )
    return headers
