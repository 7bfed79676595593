"""The preview of a webhook's request: what it would send for a sample event of its
trigger, made exactly as the engine makes it (engine.outgoing_request, the transport's
headers), shown as the delivery log shows a request (secrets masked). The webhook may be
unsaved: the admin previews the form as it is."""

from dataclasses import dataclass, field
from datetime import datetime

from webhooks import engine, event_types, transport
from webhooks.models import Delivery, Event, Webhook, new_message_id
from webhooks.payloads import encode_body

__all__ = ["Preview", "preview_request"]


@dataclass(frozen=True)
class Preview:
    """A request as the log shows it, or why it cannot be made (`problem`, and the
    format's setting at fault)."""

    method: str = ""
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    problem: str = ""
    problem_setting: str = ""


def preview_request(
    *,
    webhook: Webhook,
    actor,
    now: datetime,
    event_type: event_types.EventType | None = None,
    subject=None,
) -> Preview:
    """The request for `subject` of `event_type` (by default a sample of the webhook's
    own type)."""
    event_type = event_type or event_types.get(webhook.event_type)
    if subject is None:
        subject = event_type.sample(webhook=webhook, actor=actor, now=now)
    event = Event(
        station=webhook.station,
        event_type=event_type.name,
        body=encode_body(event_type.build(subject)),
        message_id=new_message_id(),
        is_test=True,
    )
    request = engine.outgoing_request(Delivery(webhook=webhook, event=event), now)
    formatted = request.formatted
    if formatted is not None and formatted.problem:
        return Preview(
            problem=formatted.mask(formatted.problem), problem_setting=formatted.problem_setting
        )
    _, logged = transport.request_headers(
        request, timestamp=int(now.timestamp()), user_agent=engine.transport_config().user_agent
    )
    shown = (
        formatted.shown()
        if formatted
        else {"method": "POST", "url": webhook.url, "body": event.body}
    )
    return Preview(
        method=shown["method"],
        url=shown["url"],
        headers=logged,
        body=shown["body"],
    )
