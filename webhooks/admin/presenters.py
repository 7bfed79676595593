"""How the admin shows a delivery: times with seconds, zone and age, bodies indented,
headers as rows, what the event was about, and the timeline of its attempts."""

import json
from datetime import datetime
from typing import Any

from django.utils.safestring import SafeString

from stations.states import badge
from webhooks.admin.subjects import subject_of
from webhooks.choices import DeliveryStatus
from webhooks.destinations import shown_url
from webhooks.holding import PAUSED_UNTIL
from webhooks.models import Delivery

__all__ = ["delivery_detail", "header_rows", "pretty_json", "status_badge"]


def pretty_json(text: str) -> str:
    """`text` indented when it is JSON, else as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def status_badge(delivery: Delivery, *, now: datetime) -> SafeString | str:
    """How a delivery's state reads, in the log and on its page: the status with the last
    HTTP status, or, for a pending delivery that is being held back, why and until when
    (its webhook is paused, or its endpoint's breaker is open). The one place to add
    another reason to wait."""
    webhook = delivery.webhook
    if delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at:
        if delivery.next_attempt_at >= PAUSED_UNTIL:
            return badge("held", "held: webhook paused, sent on Resume")
        held_until = webhook.breaker_retry_at
        if held_until and delivery.next_attempt_at >= now:
            next_try = max(held_until, delivery.next_attempt_at)
            return badge("held", f"held: endpoint failing, next try at {next_try:%H:%M} UTC")
    code = f" {delivery.last_status_code}" if delivery.last_status_code else ""
    return badge(delivery.status, f"{delivery.status}{code}")


def header_rows(headers: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Headers as (name, value) rows, by name (PostgreSQL's jsonb keeps no order)."""
    return sorted(
        ((str(n), str(v)) for n, v in (headers or {}).items()), key=lambda r: r[0].lower()
    )


def _retry_note(delivery: Delivery, attempts: list) -> str:
    """Said only of a delivery an operator redelivered: such an attempt gets no automatic
    retries. (Untouched deliveries retry as the outcome rules say; no note.)"""
    if delivery.auto_retry:
        return ""
    if not any(attempt.manual for attempt in attempts):
        return "Redelivered by an operator: one attempt, no automatic retries (queued)."
    return "Redelivered by an operator: one attempt each time, no automatic retries."


def delivery_detail(delivery: Delivery) -> dict[str, Any]:
    """The detail page's context: one query, for the attempts."""
    event = delivery.event
    attempts = list(delivery.attempts.order_by("number"))
    return {
        "subject": subject_of(
            event_type=delivery.event_type, body=event.body, is_test=event.is_test
        ),
        "event": event,
        "body": pretty_json(event.body),
        "webhook_url": shown_url(delivery.webhook),
        "retry_note": _retry_note(delivery, attempts),
        "timeline": [
            {
                "attempt": attempt,
                "request_headers": header_rows(attempt.request_headers),
                "response_headers": header_rows(attempt.response_headers),
                "response_body": pretty_json(attempt.response_body),
                # the request a format made (webhooks.formats); none for native
                "request": attempt.request
                and {**attempt.request, "body": pretty_json(attempt.request["body"])},
            }
            for attempt in attempts
        ],
    }
