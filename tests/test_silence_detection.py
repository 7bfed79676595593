"""Silence detection: the level math as pure functions, decoding real MP3, AAC and Ogg
made with PyAV, and the monitor's verdict on streams served by a local server."""

import io
import math

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from stations import monitor
from stations.silence import (
    FLOOR_DBFS,
    UndecodableAudio,
    find_silence,
    longest_quiet_stretch_s,
    measure_levels,
    window_levels_dbfs,
)
from tests.audio_helpers import CONTENT_TYPES, encode_audio, silence, tone
from tests.factories import StreamFactory
from tests.stream_servers import RawServer, live_stream

RATE = 8000


def sine(seconds: float, amplitude: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return amplitude * np.sin(2 * np.pi * 440 * t)


# --- level math ------------------------------------------------------------------------


def test_full_scale_sine_is_minus_3_dbfs_and_half_scale_minus_9():
    levels = window_levels_dbfs(sine(1.0, 1.0), RATE)
    assert len(levels) == 10
    assert np.allclose(levels, -3.0103, atol=0.01)
    assert np.allclose(window_levels_dbfs(sine(1.0, 0.5), RATE), -9.0309, atol=0.01)


def test_digital_silence_is_the_floor():
    assert np.array_equal(window_levels_dbfs(np.zeros(RATE), RATE), np.full(10, FLOOR_DBFS))


def test_windows_are_100_ms_and_a_trailing_partial_window_is_dropped():
    assert len(window_levels_dbfs(np.ones(int(RATE * 0.35)), RATE)) == 3
    assert len(window_levels_dbfs(np.ones(10), RATE)) == 0


def test_channels_are_averaged_by_power():
    loud = sine(0.5, 1.0)
    stereo = np.stack([loud, np.zeros_like(loud)])
    assert np.allclose(window_levels_dbfs(stereo, RATE), -3.0103 - 3.0103, atol=0.01)


def test_level_of_each_window_follows_the_signal():
    signal = np.concatenate([sine(0.2, 1.0), np.zeros(int(0.2 * RATE)), sine(0.2, 0.1)])
    levels = window_levels_dbfs(signal, RATE)
    assert np.allclose(levels, [-3.01, -3.01, FLOOR_DBFS, FLOOR_DBFS, -23.01, -23.01], atol=0.01)


@given(gain=st.floats(min_value=0.001, max_value=1.0))
def test_a_gain_shifts_every_level_by_its_decibels(gain):
    base = window_levels_dbfs(sine(0.3, 1.0), RATE)
    scaled = window_levels_dbfs(sine(0.3, gain), RATE)
    assert np.allclose(scaled - base, 20 * math.log10(gain), atol=1e-6)


def test_longest_quiet_stretch_counts_consecutive_windows_below_the_threshold():
    levels = np.array([-10, -60, -60, -10, -60, -60, -60, -49.9, -60])
    assert longest_quiet_stretch_s(levels, -50) == pytest.approx(0.3)
    assert longest_quiet_stretch_s(levels, -70) == 0
    assert longest_quiet_stretch_s(np.empty(0), -50) == 0


def test_silence_needs_the_full_minimum_duration():
    ten_seconds = np.full(100, -70.0)
    just_short = np.concatenate([np.full(99, -70.0), [-20.0]])
    assert find_silence(ten_seconds, threshold_dbfs=-50, min_duration_s=10).silent
    verdict = find_silence(just_short, threshold_dbfs=-50, min_duration_s=10)
    assert not verdict.silent and verdict.longest_quiet_s == pytest.approx(9.9)


def test_the_threshold_is_a_strict_upper_bound():
    at_threshold = np.full(100, -50.0)
    assert not find_silence(at_threshold, threshold_dbfs=-50, min_duration_s=10).silent


# --- decoding real audio ---------------------------------------------------------------


class OneWayReader:
    """A non-seekable source, like a network stream."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)


@pytest.mark.parametrize(("kind", "codec"), [("mp3", "mp3"), ("aac", "aac"), ("ogg", "opus")])
def test_decoded_tone_is_measured_at_its_level(kind, codec):
    levels = measure_levels(OneWayReader(tone(kind)), max_seconds=15)
    assert levels.codec.startswith(codec)
    assert levels.decoded_s == pytest.approx(15, abs=0.01)
    assert len(levels.levels_dbfs) == 150
    # a 0.5 amplitude sine is -9.03 dBFS; a lossy 32 kbps encoding is within a decibel
    assert np.median(levels.levels_dbfs) == pytest.approx(-9.03, abs=1.0)


@pytest.mark.parametrize("kind", ["mp3", "aac", "ogg"])
def test_decoded_silence_is_far_below_the_threshold(kind):
    levels = measure_levels(OneWayReader(silence(kind)), max_seconds=15)
    assert levels.levels_dbfs.max() < -90


def test_garbage_is_undecodable():
    noise = np.random.default_rng(7).integers(0, 256, 64 * 1024, dtype=np.uint8).tobytes()
    with pytest.raises(UndecodableAudio):
        measure_levels(OneWayReader(noise), max_seconds=15)


# --- the monitor's verdict -------------------------------------------------------------


@pytest.fixture
def detection_settings(settings):
    settings.STREAM_MONITOR_TIMEOUT_S = 2.0
    settings.STREAM_MONITOR_SILENCE_SAMPLE_S = 15.0
    settings.STREAM_MONITOR_ALLOW_PRIVATE_TARGETS = True


def check_with_detection(httpserver, body: bytes, kind: str = "mp3", **stream_fields):
    httpserver.expect_request("/live").respond_with_data(body, content_type=CONTENT_TYPES[kind])
    stream = StreamFactory(
        listening_url=httpserver.url_for("/live"), silence_detection=True, **stream_fields
    )
    [check] = monitor.check_due_streams()
    stream.refresh_from_db()
    return stream, check


@pytest.mark.django_db
@pytest.mark.usefixtures("detection_settings")
@pytest.mark.parametrize(("kind", "codec"), [("mp3", "mp3float"), ("aac", "aac"), ("ogg", "opus")])
def test_stream_with_sound_is_up_and_not_silent(httpserver, kind, codec):
    stream, check = check_with_detection(httpserver, tone(kind), kind)
    assert check.is_up and check.silence is False
    assert check.reason == f"HTTP 200 OK, sound in a 15.0 s sample ({codec})"
    assert stream.is_up is True and stream.is_silent is False


@pytest.mark.django_db
@pytest.mark.usefixtures("detection_settings")
@pytest.mark.parametrize("kind", ["mp3", "aac", "ogg"])
def test_silent_stream_is_down_with_silence(httpserver, kind):
    stream, check = check_with_detection(httpserver, silence(kind), kind)
    assert not check.is_up and check.silence is True
    assert check.reason.startswith("Silence: 15.0 s below -50 dBFS in a 15.0 s sample")
    assert stream.is_up is False and stream.is_silent is True


@pytest.mark.django_db
@pytest.mark.usefixtures("detection_settings")
def test_a_12_s_gap_is_silence_and_a_5_s_gap_is_not(httpserver):
    gap_12 = encode_audio("mp3", ((2, 0.5), (12, 0.0), (6, 0.5)))
    gap_5 = encode_audio("mp3", ((5, 0.5), (5, 0.0), (10, 0.5)))
    _, long_gap = check_with_detection(httpserver, gap_12)
    httpserver.clear()
    _, short_gap = check_with_detection(httpserver, gap_5)
    assert long_gap.silence is True and not long_gap.is_up
    assert long_gap.reason.startswith("Silence: 12.")
    assert short_gap.silence is False and short_gap.is_up


@pytest.mark.django_db
@pytest.mark.usefixtures("detection_settings")
def test_threshold_and_minimum_duration_are_per_stream(httpserver):
    quiet_tone = encode_audio("mp3", ((20, 0.01),))  # -43 dBFS: sound at -50, silence at -40
    _, default = check_with_detection(httpserver, quiet_tone)
    httpserver.clear()
    _, strict = check_with_detection(
        httpserver, quiet_tone, silence_threshold_dbfs=-40.0, silence_min_duration_s=5
    )
    assert default.silence is False
    assert strict.silence is True and strict.reason.startswith("Silence: 15.0 s below -40 dBFS")


@pytest.mark.django_db
@pytest.mark.usefixtures("detection_settings")
def test_joining_a_live_mp3_mount_mid_frame_decodes():
    with RawServer(live_stream(tone("mp3"), start_at=1001)) as server:
        stream = StreamFactory(listening_url=server.url(), silence_detection=True)
        [check] = monitor.check_due_streams()
    assert check.stream_id == stream.pk
    assert check.is_up and check.silence is False, check.reason


@pytest.mark.django_db
@pytest.mark.usefixtures("detection_settings")
def test_undecodable_stream_is_down_when_silence_detection_is_on(httpserver):
    noise = np.random.default_rng(7).integers(0, 256, 64 * 1024, dtype=np.uint8).tobytes()
    _, check = check_with_detection(httpserver, noise)
    assert not check.is_up and check.silence is None
    assert check.reason.startswith("Could not decode the audio:")


@pytest.mark.django_db
@pytest.mark.usefixtures("detection_settings")
def test_sample_cut_short_by_the_deadline_still_counts(settings):
    # given: a live mount that sends 3 s of silence, then nothing more
    settings.STREAM_MONITOR_TIMEOUT_S = 0.5
    audio = silence("mp3", seconds=3)

    def three_seconds_then_stall(connection, stopping):
        connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: audio/mpeg\r\n\r\n" + audio)
        stopping.wait(5)

    with RawServer(three_seconds_then_stall) as server:
        stream = StreamFactory(
            listening_url=server.url(), silence_detection=True, silence_min_duration_s=2
        )
        [check] = monitor.check_due_streams()
    # then: 3 s decoded, silent for 2 s or more
    assert check.stream_id == stream.pk
    assert check.silence is True and not check.is_up
    assert "in a 3.0 s sample" in check.reason


@pytest.mark.django_db
def test_minimum_silence_cannot_exceed_the_sample(settings):
    settings.STREAM_MONITOR_SILENCE_SAMPLE_S = 15.0
    stream = StreamFactory(silence_detection=True, silence_min_duration_s=20)
    with pytest.raises(ValidationError) as raised:
        stream.full_clean()
    assert "silence_min_duration_s" in raised.value.message_dict
    stream.silence_min_duration_s = 15
    stream.full_clean()
