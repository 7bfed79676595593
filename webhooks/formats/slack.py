"""Slack: an incoming webhook (docs/destinations.md, "Slack").

POST JSON with `text` (the message, also the notification's fallback) and `blocks`: a
mrkdwn section with the message, then the event's card as fields and a context line.
Slack's markup needs `&`, `<` and `>` escaped in the event's values. Slack answers `ok`,
or an error code as plain text (`invalid_payload`, `no_text`, `channel_is_archived`…),
normally with a 4xx status; a 2xx whose body is an error code is a failure too.
"""

import re
from typing import Any
from urllib.parse import urlsplit

from webhooks.formats.base import (
    Answer,
    Format,
    FormatProblem,
    RenderedRequest,
    RenderInput,
    UrlRule,
    Verdict,
    register,
)
from webhooks.formats.messages import (
    CARD_SETTING,
    CHAT_EVENT_TYPES,
    MESSAGE_SETTING,
    Card,
    clip,
    describe,
    message_text,
)
from webhooks.formats.wire import JSON_HEADERS, json_body
from webhooks.policy import Outcome, classify

__all__ = ["SLACK", "escape_mrkdwn"]

SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
FIELDS_MAX = 10
WEBHOOK_PATH = re.compile(r"/services/(T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+)/?")
ERROR_CODE = re.compile(r"[a-z][a-z_]+")


def escape_mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _check_url(url: str) -> str | None:
    if WEBHOOK_PATH.fullmatch(urlsplit(url).path):
        return None
    return (
        "Paste the incoming webhook's URL from Slack (your app's Incoming Webhooks page): "
        "https://hooks.slack.com/services/T…/B…/…."
    )


def _secret_parts(url: str) -> tuple[str, ...]:
    match = WEBHOOK_PATH.fullmatch(urlsplit(url).path)
    return (match.group(1).rsplit("/", 1)[1],) if match else ()


def _card_blocks(card: Card) -> list[dict[str, Any]]:
    fields = [
        {
            "type": "mrkdwn",
            "text": clip(f"*{escape_mrkdwn(name)}*\n{escape_mrkdwn(value)}", FIELD_TEXT_MAX),
        }
        for name, value in card.fields[:FIELDS_MAX]
        if value
    ]
    blocks: list[dict[str, Any]] = [{"type": "section", "fields": fields}] if fields else []
    if card.footer:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": escape_mrkdwn(card.footer)}],
            }
        )
    return blocks


def _render(given: RenderInput) -> RenderedRequest:
    text = message_text(
        given.event_type, given.payload, given.settings.get("message", ""), escape_mrkdwn
    )
    if not text:
        raise FormatProblem("The message is empty for this event.", setting="message")
    text = clip(text, SECTION_TEXT_MAX)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if given.settings.get("card"):
        blocks += _card_blocks(describe(given.event_type, given.payload).card)
    return RenderedRequest(
        method="POST",
        url=given.url,
        headers=JSON_HEADERS,
        body=json_body({"text": text, "blocks": blocks}),
    )


def _judge(answer: Answer) -> Verdict | None:
    code = answer.body.strip()
    if code == "ok" or not ERROR_CODE.fullmatch(code):
        return None
    if 200 <= answer.status < 300:  # an error code inside a 2xx
        outcome = Outcome.GONE if code == "channel_is_archived" else Outcome.FAILED
        return Verdict(outcome, f"Slack: {code}")
    return Verdict(classify(answer.status, None), f"Slack: {code}")


SLACK = register(
    Format(
        name="slack",
        label="Slack",
        event_types=CHAT_EVENT_TYPES,
        settings=(MESSAGE_SETTING, CARD_SETTING),
        url=UrlRule(
            label="Slack webhook URL",
            help="https://hooks.slack.com/services/T…/B…/… (its last part is masked wherever "
            "it is shown).",
            check=_check_url,
            secret_parts=_secret_parts,
        ),
        render=_render,
        judge=_judge,
        help="Posts a message to a Slack channel through an incoming webhook.",
    )
)
