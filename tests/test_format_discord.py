"""The Discord format as pure functions: the body it makes of each event within Discord's
limits, its URL rule, and what it reads in Discord's answers."""

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webhooks.formats import Answer, FormatProblem, RenderInput, get
from webhooks.formats.discord import CONTENT_MAX, EMBED_LIMITS, EMBED_TOTAL_MAX, embed_length
from webhooks.payloads import encode_body, newtrack_event, push_message
from webhooks.policy import Outcome

DISCORD = get("discord")
URL = "https://discord.com/api/webhooks/123456/secret-token_ABC"
AT = datetime(2026, 1, 26, 14, 30, tzinfo=UTC)


def track(title="Hey Jude", artist="The Beatles", album="Past Masters"):
    return newtrack_event(
        timestamp=AT,
        station_id="sta_abc123",
        station_name="Radio Example",
        track_id="med_xyz789",
        title=title,
        artist=artist,
        album=album,
        duration=431,
    )


def render(payload, event_type="station.studio.newtrack", **settings):
    given_input = RenderInput(
        event_type=event_type,
        payload=payload,
        body=encode_body(payload),
        message_id="msg_1",
        url=URL,
        settings={"card": True, **settings},
    )
    request = DISCORD.render(given_input)
    return request, json.loads(request.body)


def test_a_new_track_is_a_now_playing_message_with_a_card():
    request, body = render(track())
    assert (request.method, request.url) == ("POST", URL + "?wait=true")
    assert request.headers == {"Content-Type": "application/json"}
    assert body["content"] == "Now playing: The Beatles – Hey Jude"
    assert body["allowed_mentions"] == {"parse": []}
    (embed,) = body["embeds"]
    assert embed["title"] == "Hey Jude" and embed["description"] == "The Beatles"
    assert {"name": "Album", "value": "Past Masters", "inline": True} in embed["fields"]
    assert {"name": "Duration", "value": "7:11", "inline": True} in embed["fields"]
    assert embed["footer"] == {"text": "Radio Example"}
    assert embed["timestamp"] == "2026-01-26T14:30:00Z"


def test_push_messages_say_which_object_changed():
    payload = push_message(
        action="update", model="program", model_id=12, job_id=7, resync=False,
        station_id=1, user_id=None, api_id=None,
    )  # fmt: skip
    _, body = render(payload, event_type="push", card=False)
    assert body == {"content": "Program 12 updated", "allowed_mentions": {"parse": []}}


def test_the_operators_text_and_name_are_used_and_markdown_in_values_is_escaped():
    _, body = render(
        track(title="*Hit* _Single_"), message="{artist} – **{title}**", username="Radio Bot"
    )
    assert body["content"] == r"The Beatles – **\*Hit\* \_Single\_**"
    assert body["username"] == "Radio Bot"


def test_names_discord_refuses_are_refused_before_sending():
    with pytest.raises(FormatProblem) as problem:
        render(track(), username="My Discord bot")
    assert problem.value.setting == "username"


def test_an_unknown_placeholder_is_refused():
    with pytest.raises(FormatProblem, match=r"Unknown placeholder \{song\}") as problem:
        render(track(), message="Now: {song}")
    assert problem.value.setting == "message"


def test_a_webhook_url_keeps_its_thread_and_gets_wait():
    request, _ = render(track())
    threaded = DISCORD.render(
        RenderInput("station.studio.newtrack", track(), "", "m", URL + "?thread_id=9", {})
    )
    assert threaded.url == URL + "?thread_id=9&wait=true"
    assert request.url.endswith("?wait=true")


@pytest.mark.parametrize(
    "url, fine",
    [
        ("https://discord.com/api/webhooks/123/abc-DEF_1", True),
        ("https://discord.com/api/v10/webhooks/123/abc", True),
        ("https://canary.discord.com/api/webhooks/123/abc?thread_id=5", True),
        ("https://discord.com/channels/123/456", False),
        ("https://discord.com/api/webhooks/123", False),
        ("https://discord.com/api/webhooks/123/abc?wait=false", False),
    ],
)
def test_the_url_must_be_a_discord_webhook(url, fine):
    assert (DISCORD.url.check(url) is None) is fine


def test_the_token_in_the_url_is_its_secret_part():
    assert DISCORD.url.secret_parts(URL) == ("secret-token_ABC",)


@given(
    title=st.text(max_size=5000),
    artist=st.text(max_size=5000),
    album=st.text(max_size=3000),
    message=st.text(max_size=3000),
)
def test_any_track_makes_a_body_within_discords_limits(title, artist, album, message):
    try:
        _, body = render(track(title, artist, album), message=message)
    except FormatProblem:
        return  # an unknown placeholder or an empty message: refused, never sent
    assert body.get("content") or body.get("embeds")
    assert len(body.get("content", "")) <= CONTENT_MAX
    for embed in body.get("embeds", []):
        assert len(embed.get("title", "")) <= EMBED_LIMITS["title"]
        assert len(embed.get("description", "")) <= EMBED_LIMITS["description"]
        assert all(f["name"] and f["value"] for f in embed.get("fields", []))
        assert all(len(f["value"]) <= EMBED_LIMITS["field_value"] for f in embed["fields"])
        assert embed_length(embed) <= EMBED_TOTAL_MAX


def answer(status, body="", **headers):
    return Answer(status=status, headers=headers, body=body, at=AT)


def test_a_rate_limit_waits_what_discord_says():
    verdict = DISCORD.judge(
        answer(429, '{"message": "You are being rate limited.", "retry_after": 2.5, '
               '"global": false}', **{"Retry-After": "3"})
    )  # fmt: skip
    assert verdict.outcome is Outcome.RETRYABLE and verdict.retry_after_s == 2.5
    assert verdict.reason == "Discord: rate limited"


def test_an_error_says_discords_message_and_code():
    verdict = DISCORD.judge(answer(404, '{"message": "Unknown Webhook", "code": 10015}'))
    assert verdict.outcome is Outcome.FAILED
    assert verdict.reason == "Discord: Unknown Webhook (code 10015)"


def test_a_created_message_is_delivered_by_the_standard_rules():
    assert DISCORD.judge(answer(200, '{"id": "1", "content": "Now playing"}')) is None
    assert DISCORD.judge(answer(204)) is None
    assert DISCORD.judge(answer(502, "<html>Bad gateway</html>")) is None
