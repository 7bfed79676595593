"""Webhook URLs must be allowed outgoing targets (the rule is `guards.targets`).

Checked when a webhook is saved, for a clear form error: the scheme, the port and every
address the host resolves to. The delivery engine checks again on every connection,
against the address it connects to, because DNS can change between the two.
`WEBHOOKS_ALLOW_PRIVATE_TARGETS=1` lifts the address rule (not the scheme or port) for
local testing.
"""

from django.conf import settings
from django.core.exceptions import ValidationError

from guards.targets import RefusedTarget, resolve_target, url_target

__all__ = ["validate_target_url"]


def validate_target_url(url: str) -> None:
    """Raise ValidationError({"url": reason}) unless `url` is an allowed webhook target."""
    try:
        host, port = url_target(url)
    except RefusedTarget as refused:
        raise ValidationError({"url": str(refused)}) from None
    if settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        return
    try:
        resolve_target(host, port)
    except RefusedTarget as refused:
        raise ValidationError(
            {
                "url": f"{refused}. Webhook targets must be globally routable: private, "
                "loopback, link-local and multicast addresses are refused unless "
                "WEBHOOKS_ALLOW_PRIVATE_TARGETS=1."
            }
        ) from None
    except OSError:
        raise ValidationError({"url": f"Cannot resolve host {host!r}."}) from None
