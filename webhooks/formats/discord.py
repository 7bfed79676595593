"""Discord: execute a channel webhook (docs/destinations.md, "Discord").

POST the webhook's URL with `?wait=true` (Discord then answers 200 with the message it
created, which the delivery log keeps, instead of an empty 204), JSON `content` (the
message, at most 2,000 characters), an optional `username` and `avatar_url`, an embed
made of the event's card within Discord's embed limits, and `allowed_mentions` that
mention nobody, so a track called "@everyone" pings no one.
"""

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from webhooks.formats.base import (
    Answer,
    Format,
    FormatProblem,
    RenderedRequest,
    RenderInput,
    Setting,
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
    escape_markdown,
)
from webhooks.formats.messages import message_text as fill_message
from webhooks.formats.wire import JSON_HEADERS, answer_json, json_body, with_query
from webhooks.policy import Outcome, classify

__all__ = ["CONTENT_MAX", "DISCORD", "EMBED_LIMITS", "EMBED_TOTAL_MAX", "embed_length"]

CONTENT_MAX = 2000
USERNAME_MAX = 80
EMBED_LIMITS = {"title": 256, "description": 4096, "field_name": 256, "field_value": 1024}
EMBED_FOOTER_MAX = 2048
EMBED_FIELDS_MAX = 25
EMBED_TOTAL_MAX = 6000
TONE_COLOURS = {"good": 0x2ECC71, "bad": 0xE74C3C, "neutral": 0x5865F2}
WEBHOOK_PATH = re.compile(r"(?:/api(?:/v\d+)?)?/webhooks/(\d+)/([A-Za-z0-9_.-]+)/?")
FORBIDDEN_NAMES = ("discord", "clyde")


def _check_url(url: str) -> str | None:
    parts = urlsplit(url)
    if not WEBHOOK_PATH.fullmatch(parts.path):
        return (
            "Paste the webhook's URL from Discord (channel settings → Integrations → "
            "Webhooks → Copy Webhook URL): https://discord.com/api/webhooks/<id>/<token>."
        )
    extra = set(parse_qs(parts.query)) - {"thread_id"}
    if extra:
        return f"Only thread_id may follow the URL (not {', '.join(sorted(extra))})."
    return None


def _token(url: str) -> tuple[str, ...]:
    match = WEBHOOK_PATH.fullmatch(urlsplit(url).path)
    return (match.group(2),) if match else ()


def embed_length(embed: dict[str, Any]) -> int:
    """The characters Discord counts towards an embed's 6,000."""
    fields = embed.get("fields", [])
    return (
        len(embed.get("title", ""))
        + len(embed.get("description", ""))
        + len(embed.get("footer", {}).get("text", ""))
        + sum(len(f["name"]) + len(f["value"]) for f in fields)
    )


def _embed(card: Card) -> dict[str, Any] | None:
    embed: dict[str, Any] = {}
    if card.title:
        embed["title"] = clip(card.title, EMBED_LIMITS["title"])
    if card.description:
        embed["description"] = clip(card.description, EMBED_LIMITS["description"])
    fields = [
        {
            "name": clip(name, EMBED_LIMITS["field_name"]),
            "value": clip(value, EMBED_LIMITS["field_value"]),
            "inline": True,
        }
        for name, value in card.fields[:EMBED_FIELDS_MAX]
        if value
    ]
    if fields:
        embed["fields"] = fields
    if not embed:
        return None
    if card.footer:
        embed["footer"] = {"text": clip(card.footer, EMBED_FOOTER_MAX)}
    over = embed_length(embed) - EMBED_TOTAL_MAX
    if over > 0:  # only a long description and footer together can pass the total
        embed["description"] = clip(embed["description"], len(embed["description"]) - over)
    if card.timestamp:
        embed["timestamp"] = card.timestamp
    embed["color"] = TONE_COLOURS[card.tone]
    return embed


def _render(given: RenderInput) -> RenderedRequest:
    settings = given.settings
    body: dict[str, Any] = {}
    content = fill_message(
        given.event_type, given.payload, settings.get("message", ""), escape_markdown
    )
    if content:
        body["content"] = clip(content, CONTENT_MAX)
    username = settings.get("username", "").strip()
    if username:
        if any(word in username.lower() for word in FORBIDDEN_NAMES):
            raise FormatProblem(
                "Discord refuses a name that contains “discord” or “clyde”.", setting="username"
            )
        body["username"] = clip(username, USERNAME_MAX)
    if settings.get("avatar_url"):
        body["avatar_url"] = settings["avatar_url"]
    embed = _embed(describe(given.event_type, given.payload).card) if settings.get("card") else None
    if embed:
        body["embeds"] = [embed]
    if not content and not embed:
        raise FormatProblem("The message is empty for this event.", setting="message")
    body["allowed_mentions"] = {"parse": []}
    return RenderedRequest(
        method="POST",
        url=with_query(given.url, wait="true"),
        headers=JSON_HEADERS,
        body=json_body(body),
    )


def _judge(answer: Answer) -> Verdict | None:
    """429: wait what `retry_after` (seconds, fractional) says; an error's JSON
    `message` and `code` become the reason."""
    data = answer_json(answer)
    data = data if isinstance(data, dict) else {}
    if answer.status == 429:
        retry_after = data.get("retry_after")
        scope = " (global)" if data.get("global") else ""
        return Verdict(
            Outcome.RETRYABLE,
            f"Discord: rate limited{scope}",
            float(retry_after) if isinstance(retry_after, int | float) else None,
        )
    if 200 <= answer.status < 300 or not data.get("message"):
        return None
    code = f" (code {data['code']})" if data.get("code") else ""
    return Verdict(classify(answer.status, None), f"Discord: {data['message']}{code}")


DISCORD = register(
    Format(
        name="discord",
        label="Discord",
        event_types=CHAT_EVENT_TYPES,
        settings=(
            MESSAGE_SETTING,
            Setting(
                "username",
                "Name",
                help="Shown as the sender instead of the webhook's own name (at most 80 "
                "characters; Discord refuses names with “discord” or “clyde”).",
                max_length=USERNAME_MAX,
            ),
            Setting("avatar_url", "Avatar URL", help="An image shown beside the name."),
            CARD_SETTING,
        ),
        url=UrlRule(
            label="Discord webhook URL",
            help="https://discord.com/api/webhooks/<id>/<token> (its token is masked wherever "
            "it is shown).",
            check=_check_url,
            secret_parts=_token,
        ),
        render=_render,
        judge=_judge,
        help="Posts a message (and a card) to a Discord channel through its webhook.",
    )
)
