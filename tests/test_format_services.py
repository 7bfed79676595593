"""Slack, Mattermost, Telegram, Mastodon, TuneIn and the template format as pure
functions: the request each makes of an event, within its service's limits, and what each
reads in its service's answers. (Discord: tests/test_format_discord.py.)"""

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webhooks.formats import Answer, FormatProblem, RenderInput, get
from webhooks.payloads import (
    alert_stream,
    encode_body,
    encoder_statuschange_event,
    newtrack_event,
    stream_alert,
)
from webhooks.policy import Outcome

AT = datetime(2026, 1, 26, 14, 30, tzinfo=UTC)
NEWTRACK = "station.studio.newtrack"


def track(title="Hey Jude", artist="The Beatles", album="Past Masters"):
    return newtrack_event(
        timestamp=AT, station_id="sta_1", station_name="Radio Example", track_id="med_1",
        title=title, artist=artist, album=album, duration=431,
    )  # fmt: skip


def render(name, payload, url="", event_type=NEWTRACK, message_id="msg_1", **settings):
    destination = get(name)
    defaults = {s.name: s.default for s in destination.settings}
    given_input = RenderInput(
        event_type, payload, encode_body(payload), message_id, url, {**defaults, **settings}
    )
    return destination.render(given_input)


def answer(status, body="", **headers):
    return Answer(status=status, headers=headers, body=body, at=AT)


# --- the messages every chat-like format starts from ------------------------------------


def test_default_messages_per_trigger():
    encoder = encoder_statuschange_event(
        timestamp=AT, station_id="sta_1", station_name="Radio Example", encoder_id="enc_1",
        encoder_name="Main Stream", status="disconnected", previous_status="connected",
    )  # fmt: skip
    alert = stream_alert(
        timestamp=AT, event_type="down", station_id="u1", station_name="Example FM",
        stream=alert_stream(stream_id="u2", name="Stream 1", listening_url="http://x/",
                            silence=None),
    )  # fmt: skip
    texts = {
        event_type: json.loads(render("slack", payload, event_type=event_type).body)["text"]
        for event_type, payload in [
            (NEWTRACK, track()),
            ("station.encoder.statuschange", encoder),
            ("stream.alert", alert),
        ]
    }
    assert texts == {
        NEWTRACK: "Now playing: The Beatles – Hey Jude",
        "station.encoder.statuschange": "Encoder Main Stream disconnected",
        "stream.alert": "Example FM Alert: Stream 1 is down",
    }


def test_a_track_without_artist_reads_as_its_title():
    body = json.loads(render("slack", track(artist="")).body)
    assert body["text"] == "Now playing: Hey Jude"


# --- Slack -------------------------------------------------------------------------------

SLACK_URL = "https://hooks.slack.com/services/T0001/B0002/AbC123secret"


def test_slack_escapes_its_markup_in_the_events_values():
    body = json.loads(render("slack", track(title="<Rock & Roll>"), SLACK_URL, card=True).body)
    assert body["text"] == "Now playing: The Beatles – &lt;Rock &amp; Roll&gt;"
    assert body["blocks"][1]["fields"][0] == {"type": "mrkdwn", "text": "*Album*\nPast Masters"}
    assert body["blocks"][2] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "Radio Example"}],
    }


def test_slack_urls_and_their_secret_part():
    slack = get("slack")
    assert slack.url.check(SLACK_URL) is None
    assert slack.url.check("https://hooks.slack.com/workflows/T1/A2/3/x") is not None
    assert slack.url.secret_parts(SLACK_URL) == ("AbC123secret",)


@pytest.mark.parametrize(
    "status, body, outcome, reason",
    [
        (200, "ok", None, None),
        (400, "invalid_payload", Outcome.FAILED, "Slack: invalid_payload"),
        (404, "no_service", Outcome.FAILED, "Slack: no_service"),
        (410, "channel_is_archived", Outcome.GONE, "Slack: channel_is_archived"),
        (200, "no_text", Outcome.FAILED, "Slack: no_text"),
        (200, "channel_is_archived", Outcome.GONE, "Slack: channel_is_archived"),
        (500, "<html>oops</html>", None, None),
    ],
)
def test_slack_answers(status, body, outcome, reason):
    verdict = get("slack").judge(answer(status, body))
    assert (verdict.outcome, verdict.reason) == (outcome, reason) if outcome else verdict is None


@given(st.text(max_size=5000))
def test_any_slack_message_fits_a_section(title):
    body = json.loads(render("slack", track(title=title), SLACK_URL, card=True).body)
    assert 0 < len(body["blocks"][0]["text"]["text"]) <= 3000


# --- Mattermost ---------------------------------------------------------------------------


def test_mattermost_reads_its_json_errors():
    mattermost = get("mattermost")
    body = '{"id": "web.incoming_webhook.invalid.app_error", "message": "Invalid webhook."}'
    verdict = mattermost.judge(answer(400, body))
    assert verdict == type(verdict)(Outcome.FAILED, "Mattermost: Invalid webhook.")
    assert mattermost.judge(answer(200, "ok")) is None
    assert mattermost.url.check("https://chat.example.org/mm/hooks/abc123") is None


# --- Telegram -----------------------------------------------------------------------------

TOKEN = "123456789:AAEhBP0av28secretToken"


def test_telegram_escapes_values_for_markdown_v2():
    request = render(
        "telegram", track(title="Hit (Remix) v2.0!"), "https://api.telegram.org",
        bot_token=TOKEN, chat_id="@radioexample", parse_mode="MarkdownV2",
        message="*Now playing* {title}",
    )  # fmt: skip
    assert request.url == f"https://api.telegram.org/bot{TOKEN}/sendMessage"
    assert json.loads(request.body) == {
        "chat_id": "@radioexample",
        "text": r"*Now playing* Hit \(Remix\) v2\.0\!",
        "parse_mode": "MarkdownV2",
    }


@pytest.mark.parametrize(
    "settings, setting",
    [
        ({"bot_token": "not-a-token", "chat_id": "1"}, "bot_token"),
        ({"bot_token": TOKEN, "chat_id": "my group"}, "chat_id"),
    ],
)
def test_telegram_settings_that_cannot_work_are_refused(settings, setting):
    with pytest.raises(FormatProblem) as problem:
        render("telegram", track(), "https://api.telegram.org", **settings)
    assert problem.value.setting == setting


@pytest.mark.parametrize(
    "status, body, outcome, reason, wait",
    [
        (200, '{"ok": true, "result": {"message_id": 1}}', None, None, None),
        (400, '{"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}',
         Outcome.FAILED, "Telegram: Bad Request: chat not found", None),
        (200, '{"ok": false, "error_code": 403, "description": "Forbidden: bot was kicked"}',
         Outcome.FAILED, "Telegram: Forbidden: bot was kicked", None),
        (429, '{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7",'
              ' "parameters": {"retry_after": 7}}',
         Outcome.RETRYABLE, "Telegram: Too Many Requests: retry after 7", 7.0),
        (502, '{"ok": false, "error_code": 502, "description": "Bad Gateway"}',
         Outcome.RETRYABLE, "Telegram: Bad Gateway", None),
        (502, "<html>Bad gateway</html>", None, None, None),
    ],
)  # fmt: skip
def test_telegram_answers(status, body, outcome, reason, wait):
    verdict = get("telegram").judge(answer(status, body))
    if outcome is None:
        assert verdict is None
    else:
        assert (verdict.outcome, verdict.reason, verdict.retry_after_s) == (outcome, reason, wait)


@given(st.text(max_size=10000))
def test_any_telegram_message_fits(title):
    request = render(
        "telegram", track(title=title), "https://api.telegram.org", bot_token=TOKEN,
        chat_id="-100123", parse_mode="HTML",
    )  # fmt: skip
    assert 0 < len(json.loads(request.body)["text"]) <= 4096


# --- Mastodon -----------------------------------------------------------------------------


def test_mastodon_posts_a_status_with_an_idempotency_key():
    request = render(
        "mastodon", track(), "https://mastodon.example/", message_id="msg_42",
        access_token="tok-123", visibility="public", max_characters="30",
    )  # fmt: skip
    assert (request.method, request.url) == ("POST", "https://mastodon.example/api/v1/statuses")
    assert request.headers["Authorization"] == "Bearer tok-123"
    assert request.headers["Idempotency-Key"] == "msg_42"
    body = json.loads(request.body)
    assert body == {"status": "Now playing: The Beatles – He…", "visibility": "public"}
    assert len(body["status"]) == 30


def test_mastodon_rate_limits_wait_until_the_window_resets():
    verdict = get("mastodon").judge(
        answer(429, '{"error": "Too many requests"}',
               **{"X-RateLimit-Reset": "2026-01-26T14:31:00.000Z"})
    )  # fmt: skip
    assert verdict.outcome is Outcome.RETRYABLE and verdict.retry_after_s == 60.0
    invalid = get("mastodon").judge(answer(422, '{"error": "Validation failed: Text too long"}'))
    assert (invalid.outcome, invalid.reason) == (
        Outcome.FAILED,
        "Mastodon: Validation failed: Text too long",
    )


def test_mastodon_wants_the_instance_address():
    assert get("mastodon").url.check("https://mastodon.social") is None
    assert get("mastodon").url.check("https://mastodon.social/api/v1/statuses") is not None


# --- TuneIn -------------------------------------------------------------------------------


def test_tunein_sends_new_tracks_only():
    tunein = get("tunein")
    assert tunein.sends(NEWTRACK) and not tunein.sends("push")
    assert not tunein.sends("station.encoder.statuschange")


def test_tunein_is_a_get_with_the_track_in_its_query():
    request = render(
        "tunein", track(title="Hey Jude & more"), "http://air.example/Playing.ashx",
        partner_id="p1", partner_key="k/1+2", station_id="s42",
    )  # fmt: skip
    assert request.method == "GET" and request.body == b""
    assert request.url == (
        "http://air.example/Playing.ashx?partnerId=p1&partnerKey=k%2F1%2B2&id=s42"
        "&title=Hey+Jude+%26+more&artist=The+Beatles&album=Past+Masters"
    )


def test_tunein_faults_are_failures_even_inside_a_200():
    body = (
        "<opml><head><status>403</status><fault>Invalid partner credentials</fault></head></opml>"
    )
    verdict = get("tunein").judge(answer(200, body))
    assert (verdict.outcome, verdict.reason) == (
        Outcome.FAILED,
        "TuneIn: Invalid partner credentials",
    )
    assert (
        get("tunein").judge(answer(200, "<opml><head><status>200</status></head></opml>")) is None
    )


# --- Template -----------------------------------------------------------------------------


def template(source, content_type="application/json", **settings):
    return render(
        "template", track(), "https://receiver.example/hook", template=source,
        content_type=content_type, **settings,
    )  # fmt: skip


def test_a_template_renders_the_payload():
    request = template('{"now": {{ (event.track.artist ~ " - " ~ event.track.title)|tojson }}}')
    assert json.loads(request.body) == {"now": "The Beatles - Hey Jude"}
    assert request.headers == {"Content-Type": "application/json"}


def test_a_form_encoded_template():
    request = template(
        "song={{ event.track.title|urlencode }}", "application/x-www-form-urlencoded"
    )
    assert request.body == b"song=Hey%20Jude"


@pytest.mark.parametrize(
    "source, problem",
    [
        ('{"now": "{{ event.track.titel }}"}', "has no attribute 'titel'"),
        ('{"now": {{ event.track.title }}}', "invalid JSON"),
        ("{{ event.__class__.__mro__ }}", "unsafe"),
        ("{% for i in range(100000) %}{% endfor %}", "range()"),
        ('{{ "x" * 100000000 }}', "repeating"),
        ("{{ 10 ** 100000 }}", "powers"),
        (
            "{% for i in range(1000) %}{% for j in range(9) %}{{ event }}{% endfor %}{% endfor %}",
            "256 KiB",
        ),
        ("{{ event.track.title", "line 1"),
    ],
)
def test_templates_that_fail_are_refused_with_the_reason(source, problem):
    with pytest.raises(FormatProblem, match=None) as refused:
        template(source, "application/json")
    assert problem in str(refused.value) and refused.value.setting == "template"
