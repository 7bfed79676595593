"""Mastodon: post a status (docs/destinations.md, "Mastodon").

POST `<instance>/api/v1/statuses` with `Authorization: Bearer <access token>` (a secret:
stored encrypted, masked wherever shown), JSON `status` (at most the instance's character
limit, 500 by default) and `visibility`, and `Idempotency-Key: <webhook-id>`: Mastodon
keeps the key for an hour and answers a repeat with the status it already made, so a
retry after a lost answer never posts twice. Errors come as JSON `{"error": …}`; a 429
says when its window resets in `X-RateLimit-Reset`.
"""

from datetime import datetime
from urllib.parse import urlsplit

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
from webhooks.formats.messages import CHAT_EVENT_TYPES, MESSAGE_SETTING, clip, message_text
from webhooks.formats.wire import JSON_HEADERS, answer_json, header, json_body
from webhooks.policy import Outcome, classify

__all__ = ["MASTODON"]

DEFAULT_CHARACTERS = 500
VISIBILITIES = (
    ("public", "Public"),
    ("unlisted", "Unlisted (public, but not in public timelines)"),
    ("private", "Followers only"),
    ("direct", "Mentioned people only"),
)


def _check_url(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.path.strip("/") or parts.query:
        return "Enter the instance's address only, like https://mastodon.social."
    return None


def _characters(value) -> int:
    try:
        characters = int(value or DEFAULT_CHARACTERS)
    except ValueError:
        characters = 0
    if characters < 1:
        raise FormatProblem("Enter a positive number of characters.", setting="max_characters")
    return characters


def _render(given: RenderInput) -> RenderedRequest:
    settings = given.settings
    token = settings.get("access_token", "")
    if not token:
        raise FormatProblem("Enter the account's access token.", setting="access_token")
    status = message_text(given.event_type, given.payload, settings.get("message", ""))
    if not status:
        raise FormatProblem("The message is empty for this event.", setting="message")
    body = {
        "status": clip(status, _characters(settings.get("max_characters"))),
        "visibility": settings.get("visibility") or "unlisted",
    }
    return RenderedRequest(
        method="POST",
        url=f"{given.url.rstrip('/')}/api/v1/statuses",
        headers={
            **JSON_HEADERS,
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": given.message_id,
        },
        body=json_body(body),
    )


def _judge(answer: Answer) -> Verdict | None:
    if 200 <= answer.status < 300:
        return None
    data = answer_json(answer)
    error = data.get("error") if isinstance(data, dict) else None
    if answer.status == 429:
        wait = None
        reset = header(answer.headers, "X-RateLimit-Reset")
        try:
            wait = (datetime.fromisoformat(reset) - answer.at).total_seconds() if reset else None
        except (TypeError, ValueError):
            wait = None
        return Verdict(Outcome.RETRYABLE, f"Mastodon: {error or 'rate limited'}", wait)
    if not error:
        return None
    return Verdict(classify(answer.status, None), f"Mastodon: {error}")


MASTODON = register(
    Format(
        name="mastodon",
        label="Mastodon",
        event_types=CHAT_EVENT_TYPES,
        settings=(
            Setting(
                "access_token",
                "Access token",
                kind="secret",
                required=True,
                help="From Preferences → Development → New application (scope write:statuses). "
                "Encrypted at rest, never shown again.",
            ),
            Setting(
                "visibility", "Visibility", kind="choice", choices=VISIBILITIES, default="unlisted"
            ),
            MESSAGE_SETTING,
            Setting(
                "max_characters",
                "Character limit",
                default=str(DEFAULT_CHARACTERS),
                help="The instance's limit per status (500 unless the instance says otherwise); "
                "longer messages are cut with “…”.",
            ),
        ),
        url=UrlRule(
            label="Instance address",
            help="The Mastodon server of the account, like https://mastodon.social.",
            check=_check_url,
        ),
        render=_render,
        judge=_judge,
        help="Posts a status from a Mastodon account.",
    )
)
