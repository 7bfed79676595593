"""The stream monitor checks streams like a listener, against real local servers: audio,
404, a hanging server, SHOUTcast's ICY answer, redirects, an endless live mount."""

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from stations import monitor
from stations.choices import CheckSource
from stations.models import Stream, StreamCheck
from tests.audio_helpers import CONTENT_TYPES, tone
from tests.factories import StreamCheckFactory, StreamFactory
from tests.stream_servers import RawServer, icy_stream, live_stream, never_answer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monitor_settings(settings):
    settings.STREAM_MONITOR_TIMEOUT_S = 2.0
    settings.STREAM_MONITOR_ALLOW_PRIVATE_TARGETS = True


def check_once(stream: Stream) -> StreamCheck:
    """One monitor run; returns the check it recorded for `stream`."""
    checks = [c for c in monitor.check_due_streams() if c.stream_id == stream.pk]
    assert len(checks) == 1
    stream.refresh_from_db()
    return checks[0]


@pytest.mark.parametrize("kind", ["mp3", "aac", "ogg"])
def test_stream_with_audio_is_up(httpserver, kind):
    # given
    httpserver.expect_request("/live").respond_with_data(
        tone(kind), content_type=CONTENT_TYPES[kind]
    )
    stream = StreamFactory(listening_url=httpserver.url_for("/live"))
    # when
    check = check_once(stream)
    # then
    assert check.is_up and check.source == CheckSource.MONITOR
    assert check.reason == f"HTTP 200 OK ({CONTENT_TYPES[kind]})"
    assert check.latency_ms is not None and check.latency_ms < 2000
    assert check.silence is None  # silence detection is off
    assert stream.is_up is True and stream.state_changed_at == check.checked_at
    assert stream.last_monitored_at == check.checked_at and stream.checking_until is None


def test_404_is_down(httpserver):
    httpserver.expect_request("/live").respond_with_data("no such mount", status=404)
    stream = StreamFactory(listening_url=httpserver.url_for("/live"))
    check = check_once(stream)
    assert not check.is_up and check.reason == "HTTP 404 NOT FOUND"
    assert stream.is_up is False and stream.last_check_reason == "HTTP 404 NOT FOUND"


def test_server_that_never_answers_is_down_after_the_timeout(settings):
    settings.STREAM_MONITOR_TIMEOUT_S = 0.5
    with RawServer(never_answer) as server:
        stream = StreamFactory(listening_url=server.url())
        started = time.monotonic()
        check = check_once(stream)
    assert time.monotonic() - started < 2
    assert not check.is_up and check.reason == "Timeout: no response within 0.5 s"
    assert check.latency_ms is None


def test_refused_connection_is_down():
    stream = StreamFactory(listening_url="http://127.0.0.1:1/live")
    check = check_once(stream)
    assert not check.is_up and check.reason == "Connection error: Connection refused"


def test_shoutcast_icy_200_is_up():
    with RawServer(icy_stream(tone("mp3"))) as server:
        stream = StreamFactory(listening_url=server.url("/;"))
        check = check_once(stream)
    assert check.is_up and check.reason == "HTTP 200 OK (audio/mpeg)"


def test_endless_live_stream_is_up_after_reading_a_few_kib():
    with RawServer(live_stream(tone("mp3"))) as server:
        stream = StreamFactory(listening_url=server.url())
        started = time.monotonic()
        check = check_once(stream)
    assert check.is_up and time.monotonic() - started < 2


def test_empty_body_is_down(httpserver):
    httpserver.expect_request("/live").respond_with_data(b"", content_type="audio/mpeg")
    stream = StreamFactory(listening_url=httpserver.url_for("/live"))
    check = check_once(stream)
    assert not check.is_up and check.reason == "Empty body"


def test_body_that_ends_after_a_few_bytes_is_down(httpserver):
    httpserver.expect_request("/live").respond_with_data(b"x" * 100, content_type="audio/mpeg")
    stream = StreamFactory(listening_url=httpserver.url_for("/live"))
    check = check_once(stream)
    assert not check.is_up and check.reason == "Stream ended after 100 bytes"


def test_one_redirect_is_followed(httpserver):
    httpserver.expect_request("/listen").respond_with_data(
        "", status=302, headers={"Location": "/live"}
    )
    httpserver.expect_request("/live").respond_with_data(tone("mp3"), content_type="audio/mpeg")
    stream = StreamFactory(listening_url=httpserver.url_for("/listen"))
    check = check_once(stream)
    assert check.is_up
    assert [request.path for request, _ in httpserver.log] == ["/listen", "/live"]


def test_a_second_redirect_is_not_followed(httpserver):
    httpserver.expect_request("/listen").respond_with_data(
        "", status=302, headers={"Location": "/relay"}
    )
    httpserver.expect_request("/relay").respond_with_data(
        "", status=301, headers={"Location": "/live"}
    )
    stream = StreamFactory(listening_url=httpserver.url_for("/listen"))
    check = check_once(stream)
    assert not check.is_up and check.reason == "Redirected more than once (then to /live)"
    assert [request.path for request, _ in httpserver.log] == ["/listen", "/relay"]


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("localhost", "localhost resolves to 127.0.0.1, which is a loopback address"),
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("[::127.0.0.1]", "::127.0.0.1 carries 127.0.0.1, a loopback address"),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1 carries 127.0.0.1, a loopback address"),
    ],
)
def test_private_targets_are_refused_unless_allowed(httpserver, settings, host, reason):
    settings.STREAM_MONITOR_ALLOW_PRIVATE_TARGETS = False
    stream = StreamFactory(listening_url=f"http://{host}:{httpserver.port}/live")
    check = check_once(stream)
    assert not check.is_up and check.reason == (
        f"Refused target: {reason} (STREAM_MONITOR_ALLOW_PRIVATE_TARGETS=1 allows it)"
    )
    assert httpserver.log == []


def test_streams_are_checked_concurrently(settings):
    # given: a server that answers only once four listeners are connected at the same time
    settings.STREAM_MONITOR_THREADS = 4
    all_connected = threading.Barrier(4, timeout=3)
    audio = tone("mp3")

    def answer_together(connection, stopping):
        all_connected.wait()
        connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: audio/mpeg\r\n\r\n" + audio)

    with RawServer(answer_together) as server:
        streams = [StreamFactory(listening_url=server.url(f"/live{i}")) for i in range(4)]
        # when
        checks = monitor.check_due_streams()
    # then
    assert sorted(c.stream_id for c in checks) == sorted(s.pk for s in streams)
    assert all(c.is_up for c in checks), [c.reason for c in checks]


def test_a_stream_whose_check_is_still_running_is_skipped(httpserver):
    # given: another run holds the lease of `busy`
    httpserver.expect_request("/live").respond_with_data(tone("mp3"), content_type="audio/mpeg")
    busy = StreamFactory(
        listening_url=httpserver.url_for("/live"),
        checking_until=timezone.now() + timedelta(seconds=60),
    )
    free = StreamFactory(listening_url=httpserver.url_for("/live"))
    # when
    checks = monitor.check_due_streams()
    # then
    assert [c.stream_id for c in checks] == [free.pk]
    busy.refresh_from_db()
    assert busy.last_checked_at is None and busy.checking_until is not None


def test_claims_never_overlap_and_respect_the_interval(settings):
    settings.STREAM_MONITOR_INTERVAL_S = 60
    now = timezone.now()
    never = StreamFactory()
    long_ago = StreamFactory(last_monitored_at=now - timedelta(seconds=61))
    StreamFactory(last_monitored_at=now - timedelta(seconds=10))  # checked recently
    StreamFactory(monitored=False)
    expired_lease = StreamFactory(checking_until=now - timedelta(seconds=1))

    first = monitor.claim_due_streams(now=now)
    second = monitor.claim_due_streams(now=now)

    assert {s.pk for s in first} == {never.pk, long_ago.pk, expired_lease.pk}
    assert second == []
    lease = Stream.objects.get(pk=never.pk).checking_until - now
    assert lease == timedelta(seconds=monitor.lease_s())


def test_state_changed_at_moves_only_when_the_state_flips():
    stream = StreamFactory()
    t0 = timezone.now()
    for minute, is_up in enumerate([True, True, False, False, True]):
        monitor.record_check(
            stream_id=stream.pk,
            result=monitor.CheckResult(is_up=is_up, reason=""),
            source=CheckSource.MONITOR,
            checked_at=t0 + timedelta(minutes=minute),
        )
        stream.refresh_from_db()
        if minute == 1:
            assert stream.state_changed_at == t0
        if minute == 3:
            assert stream.state_changed_at == t0 + timedelta(minutes=2)
    assert stream.is_up is True and stream.state_changed_at == t0 + timedelta(minutes=4)
    assert stream.last_checked_at == t0 + timedelta(minutes=4)
    assert stream.checks.count() == 5


def test_run_prunes_checks_past_the_retention(settings):
    settings.STREAM_CHECK_RETENTION_DAYS = 30
    stream = StreamFactory(monitored=False)
    old = StreamCheckFactory(stream=stream, checked_at=timezone.now() - timedelta(days=31))
    kept = StreamCheckFactory(stream=stream, checked_at=timezone.now() - timedelta(days=29))
    run = monitor.run_stream_monitor()
    assert run.pruned == 1 and run.checked == 0
    assert list(StreamCheck.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not StreamCheck.objects.filter(pk=old.pk).exists()


def test_the_monitor_schedule_runs_every_minute():
    schedule = Schedule.objects.get(func="stations.tasks.run_stream_monitor")
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 1
    assert schedule.repeats == -1
