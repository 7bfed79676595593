"""A webhook's destination format applied: the request of one of its events, what an
answer means, and how its URL may be shown. The formats themselves are pure
(webhooks.formats); this module feeds them the webhook's settings, the service addresses
from the Django settings and the event's frozen body.

The request is made at send time from frozen inputs (the event's body and webhook-id, the
webhook's settings), not stored: the same settings give the same bytes on every attempt,
an operator who fixes a setting sees the next attempt use it, publishing stays as cheap
for every format, and no secret is copied into a delivery row (docs/destinations.md).
"""

import dataclasses
import json

from django.conf import settings

from webhooks.formats import Answer, Format, RenderedRequest, RenderInput, Verdict
from webhooks.signing import mask_secret

__all__ = ["judge_answer", "render", "render_for", "shown_url"]


def _secrets(destination: Format, webhook, url: str) -> tuple[str, ...]:
    values = webhook.destination_settings()
    found = [str(values.get(s.name, "")) for s in destination.secret_settings()]
    if destination.url is not None:
        found += destination.url.secret_parts(url)
    return tuple(sorted((s for s in found if s), key=len, reverse=True))


def _address(destination: Format, webhook) -> str:
    if destination.url is None:
        return getattr(settings, destination.service_url_setting)
    return webhook.url


def render(webhook, *, event_type: str, body: str, message_id: str) -> RenderedRequest:
    """The request the webhook's format makes of an event (FormatProblem when it
    cannot), its secrets named for masking."""
    destination = webhook.destination
    url = _address(destination, webhook)
    given = RenderInput(
        event_type=event_type,
        payload=json.loads(body),
        body=body,
        message_id=message_id,
        url=url,
        settings={
            **{setting.name: setting.default for setting in destination.settings},
            **webhook.destination_settings(),
        },
    )
    rendered = destination.render(given)
    secrets = _secrets(destination, webhook, url)
    return dataclasses.replace(rendered, signed=destination.signed, secrets=secrets)


def render_for(webhook, event) -> RenderedRequest | None:
    """The request of `event` for the engine; None for a format that sends the event's
    body as it is (native). A request that cannot be made carries its `problem`."""
    destination = webhook.destination
    if destination.render is None:
        return None
    try:
        return render(
            webhook, event_type=event.event_type, body=event.body, message_id=event.message_id
        )
    except ValueError as problem:  # FormatProblem, or a body that is not JSON
        url = _address(destination, webhook)
        return RenderedRequest(
            method="",
            url=url,
            problem=f"Could not make the {destination.label} request: {problem}",
            problem_setting=getattr(problem, "setting", ""),
            secrets=_secrets(destination, webhook, url),
        )


def judge_answer(webhook, *, status: int, headers, body: str, at) -> Verdict | None:
    """What the webhook's format makes of an answer; None: the standard outcome rules."""
    judge = webhook.destination.judge
    if judge is None:
        return None
    return judge(Answer(status=status, headers=headers, body=body, at=at))


def shown_url(webhook) -> str:
    """The webhook's URL as lists and pages may show it (credentials in it masked)."""
    rule = webhook.destination.url
    if rule is None:
        return ""
    url = webhook.url
    for secret in rule.secret_parts(url):
        url = url.replace(secret, mask_secret(secret))
    return url
