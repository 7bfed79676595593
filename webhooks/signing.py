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
    "standard_webhooks_signature",
    "xtra_signature",
]

SECRET_PREFIX = "whsec_"


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def mask_secret(secret: str) -> str:
    """What list pages and logs may show of a secret or key: its shape, not its value."""
    if not secret:
        return ""
    if secret.startswith(SECRET_PREFIX):
        return f"{SECRET_PREFIX}…{secret[-4:]}" if len(secret) > 16 else f"{SECRET_PREFIX}…"
    return f"…{secret[-4:]}" if len(secret) >= 12 else "…"


def _standard_webhooks_key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode()


def xtra_signature(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_webhooks_signature(message_id: str, timestamp: int, body: bytes, secret: str) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_standard_webhooks_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def build_request_headers(
    *, body: bytes, message_id: str, timestamp: int, secret: str, key: str, user_agent: str
) -> dict[str, str]:
    """Every header of one attempt. Only `webhook-timestamp` and the Standard Webhooks
    signature change between attempts; the body and `webhook-id` never do."""
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
        headers["webhook-signature"] = standard_webhooks_signature(
            message_id, timestamp, body, secret
        )
    return headers
