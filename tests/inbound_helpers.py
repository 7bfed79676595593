"""Requests to the inbound gateway signed exactly as each vendor signs them (xtra's
X-Webhook-Signature, Standard Webhooks with the `standardwebhooks` package itself), and
posting them to a source's URL with Django's test client."""

import hashlib
import hmac
import json
from datetime import UTC, datetime

from standardwebhooks import Webhook as StandardWebhook

from tests.xtra_examples import XTRA_ENCODER_STATUSCHANGE, XTRA_NEWTRACK

__all__ = [
    "RADIOMANAGER_MESSAGE",
    "XTRA_ENCODER_STATUSCHANGE",
    "XTRA_NEWTRACK",
    "as_bytes",
    "post",
    "standard_webhooks_headers",
    "xtra_headers",
]

# A push message with the fields RadioManager documents (docs/payloads.md).
RADIOMANAGER_MESSAGE = {
    "action": "update",
    "model": "broadcast",
    "model_id": 1234,
    "job_id": 98765,
    "resync": False,
    "station_id": 7,
    "user_id": 3,
    "api_id": None,
}


def as_bytes(body) -> bytes:
    """A JSON body as a sender would write it (with spaces: bytes, not our encoding)."""
    return body if isinstance(body, bytes) else json.dumps(body, indent=1).encode()


def xtra_headers(body: bytes, secret: str) -> dict[str, str]:
    """xtra: X-Webhook-Signature, the hex HMAC-SHA256 of the raw body with the secret."""
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Webhook-Signature": signature}


def standard_webhooks_headers(
    body: bytes, secret: str, *, message_id: str = "msg_1", at: datetime | None = None
) -> dict[str, str]:
    """Standard Webhooks headers made by the reference library."""
    at = at or datetime.now(UTC)
    signature = StandardWebhook(secret).sign(message_id, at, body.decode())
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def post(client, source, body: bytes, headers: dict[str, str], *, token: str | None = None):
    """POST `body` with `headers` to the source's URL (or to `/in/<token>/`), the bytes
    as they are whatever the Content-Type says."""
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    extra["CONTENT_TYPE"] = extra.pop("HTTP_CONTENT_TYPE", "")
    return client.post(
        f"/in/{token or source.token}/",
        data=body,
        content_type="application/octet-stream",  # how the client encodes: not at all
        **extra,
    )
