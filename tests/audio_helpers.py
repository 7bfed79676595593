"""Real encoded audio for the monitor tests, made with PyAV (the library the monitor
decodes with): a 440 Hz tone, silence, or a mix, in MP3, AAC (ADTS) or Ogg Opus."""

import io
from functools import cache

import av
import numpy as np

TONE_HZ = 440.0
# container format, encoder, sample rate (libopus only takes 8/12/16/24/48 kHz)
FORMATS = {
    "mp3": ("mp3", "libmp3lame", 22050),
    "aac": ("adts", "aac", 22050),
    "ogg": ("ogg", "libopus", 48000),
}
CONTENT_TYPES = {"mp3": "audio/mpeg", "aac": "audio/aac", "ogg": "application/ogg"}
FRAME_SAMPLES = 1024


def _signal(segments: tuple[tuple[float, float], ...], rate: int) -> np.ndarray:
    parts = []
    start = 0
    for seconds, amplitude in segments:
        n = int(seconds * rate)
        t = (start + np.arange(n)) / rate
        parts.append(amplitude * np.sin(2 * np.pi * TONE_HZ * t))
        start += n
    return np.concatenate(parts).astype(np.float32)


@cache
def encode_audio(kind: str, segments: tuple[tuple[float, float], ...]) -> bytes:
    """Encode mono audio made of `segments`: (seconds, amplitude) of the 440 Hz tone,
    amplitude 0 for silence. Cached: each variant is encoded once per test session."""
    container_format, codec, rate = FORMATS[kind]
    samples = _signal(segments, rate)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        stream.bit_rate = 32_000
        for start in range(0, len(samples), FRAME_SAMPLES):
            chunk = samples[start : start + FRAME_SAMPLES].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def tone(kind: str, seconds: float = 20.0, amplitude: float = 0.5) -> bytes:
    return encode_audio(kind, ((seconds, amplitude),))


def silence(kind: str, seconds: float = 20.0) -> bytes:
    return encode_audio(kind, ((seconds, 0.0),))
