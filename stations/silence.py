"""Silence detection: decode a short sample of a stream and find quiet stretches.

The level math is pure (numpy arrays in, numbers out) and tested on its own;
`measure_levels` is the shell that decodes real audio with PyAV (FFmpeg bundled in its
wheels: MP3, AAC/ADTS, Ogg Vorbis/Opus and whatever else FFmpeg reads).

Levels are RMS per window in dBFS: 20·log10(RMS) of samples in [-1, 1], so a full-scale
square wave is 0 dBFS and a full-scale sine about -3 dBFS. Digital silence is clamped
to FLOOR_DBFS.
"""

import logging
from dataclasses import dataclass
from typing import BinaryIO

import av
import numpy as np

__all__ = [
    "FLOOR_DBFS",
    "WINDOW_S",
    "Levels",
    "SilenceVerdict",
    "UndecodableAudio",
    "find_silence",
    "longest_quiet_stretch_s",
    "measure_levels",
    "window_levels_dbfs",
]

logger = logging.getLogger("stationhooks.monitor")

WINDOW_S = 0.1
FLOOR_DBFS = -120.0
MAX_BAD_PACKETS = 50


def window_levels_dbfs(
    samples: np.ndarray, sample_rate: int, window_s: float = WINDOW_S
) -> np.ndarray:
    """RMS level of each complete window of `samples`, in dBFS.

    `samples` is float audio in [-1, 1], shaped (channels, n) or (n,). The power of all
    channels is averaged, so a stereo stream with one silent channel is 3 dB quieter
    than its loud channel. A trailing partial window is dropped."""
    audio = np.atleast_2d(np.asarray(samples, dtype=np.float64))
    window = max(1, round(sample_rate * window_s))
    count = audio.shape[1] // window
    if count == 0:
        return np.empty(0)
    power = np.mean(np.square(audio[:, : count * window]), axis=0)
    mean_power = power.reshape(count, window).mean(axis=1)
    with np.errstate(divide="ignore"):
        levels = 10.0 * np.log10(mean_power)
    return np.maximum(levels, FLOOR_DBFS)


def longest_quiet_stretch_s(
    levels_dbfs: np.ndarray, threshold_dbfs: float, window_s: float = WINDOW_S
) -> float:
    """Length in seconds of the longest run of consecutive windows below the threshold."""
    quiet = np.asarray(levels_dbfs) < threshold_dbfs
    longest = run = 0
    for is_quiet in quiet:
        run = run + 1 if is_quiet else 0
        longest = max(longest, run)
    return longest * window_s


@dataclass(frozen=True)
class SilenceVerdict:
    silent: bool
    longest_quiet_s: float


def find_silence(
    levels_dbfs: np.ndarray,
    *,
    threshold_dbfs: float,
    min_duration_s: float,
    window_s: float = WINDOW_S,
) -> SilenceVerdict:
    """Silence is a continuous stretch of at least `min_duration_s` below the threshold."""
    longest = longest_quiet_stretch_s(levels_dbfs, threshold_dbfs, window_s)
    # Window arithmetic in floats: 100 windows of 0.1 s make 10.000000000000002 s.
    return SilenceVerdict(silent=longest >= min_duration_s - 1e-9, longest_quiet_s=longest)


class UndecodableAudio(Exception):
    """The sample could not be read as audio (unknown format, no audio stream, garbage)."""


@dataclass(frozen=True)
class Levels:
    levels_dbfs: np.ndarray
    decoded_s: float
    codec: str


def measure_levels(source: BinaryIO, *, max_seconds: float, window_s: float = WINDOW_S) -> Levels:
    """Decode up to `max_seconds` of audio from `source` (a non-seekable file-like with
    `read`; it ends the sample by returning b"") and return its window levels.

    The format is probed from the bytes, so a listener joining mid-stream (half an MP3
    frame first) works; packets the decoder rejects are skipped, up to MAX_BAD_PACKETS.
    Raises UndecodableAudio when nothing decodes."""
    try:
        container = av.open(source, mode="r")
    except (av.FFmpegError, ValueError) as exc:
        raise UndecodableAudio(f"unknown format ({exc})") from exc
    with container:
        if not container.streams.audio:
            raise UndecodableAudio(f"no audio in the {container.format.name} stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp")
        chunks: list[np.ndarray] = []
        decoded = 0
        sample_rate = stream.codec_context.sample_rate or 0
        bad_packets = 0
        try:
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except av.FFmpegError:
                    bad_packets += 1
                    if bad_packets > MAX_BAD_PACKETS:
                        raise
                    continue
                for frame in frames:
                    sample_rate = frame.sample_rate
                    for converted in resampler.resample(frame):
                        chunk = converted.to_ndarray()
                        chunks.append(chunk)
                        decoded += chunk.shape[1]
                if sample_rate and decoded >= max_seconds * sample_rate:
                    break
        except av.FFmpegError as exc:
            if not decoded:
                raise UndecodableAudio(str(exc)) from exc
            logger.info("Sample ended early after %d samples: %s", decoded, exc)
        if not decoded or not sample_rate:
            raise UndecodableAudio(f"no audio decoded from the {container.format.name} stream")
        samples = np.concatenate(chunks, axis=1)[:, : int(max_seconds * sample_rate)]
        return Levels(
            levels_dbfs=window_levels_dbfs(samples, sample_rate, window_s),
            decoded_s=samples.shape[1] / sample_rate,
            codec=stream.codec_context.name,
        )
