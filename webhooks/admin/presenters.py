"""How the admin shows a delivery: times with seconds, zone and age, bodies indented,
headers as rows, what the event was about, and the timeline of its attempts."""

import json
from typing import Any

from webhooks.admin.subjects import subject_of
from webhooks.models import Delivery

__all__ = ["delivery_detail", "header_rows", "pretty_json"]


def pretty_json(text: str) -> str:
    """`text` indented when it is JSON, else as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


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
        "retry_note": _retry_note(delivery, attempts),
        "timeline": [
            {
                "attempt": attempt,
                "request_headers": header_rows(attempt.request_headers),
                "response_headers": header_rows(attempt.response_headers),
                "response_body": pretty_json(attempt.response_body),
            }
            for attempt in attempts
        ],
    }
