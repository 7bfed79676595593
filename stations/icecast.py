"""Icecast 2's metadata update (`GET /admin/metadata?mode=updinfo&song=...`), pure parts.

Playout software percent-encodes the song in whatever charset it was built with and
names it in `charset=` (Icecast's own parameter), or not at all. So the query is decoded
here from its raw bytes: values in the named charset (one of `guards.charsets`' allow-list;
any other is refused as Icecast refuses an unknown one), otherwise UTF-8, falling back to
Latin-1 for bytes that are not valid UTF-8 (what older Windows playout software sends).
Django's own `request.GET` would have turned those bytes into replacement characters.
"""

from dataclasses import dataclass
from urllib.parse import unquote_to_bytes
from xml.sax.saxutils import escape

from guards.charsets import UnsupportedCharset, charset_codec

__all__ = [
    "IcecastQueryError",
    "MetadataUpdate",
    "iceresponse",
    "parse_metadata_query",
    "split_song",
]

UPDATE_MODE = "updinfo"


class IcecastQueryError(ValueError):
    """The query cannot be a metadata update; the message is what Icecast would say."""


@dataclass(frozen=True)
class MetadataUpdate:
    mount: str
    artist: str
    title: str


def _raw_pairs(query: bytes) -> dict[bytes, bytes]:
    """`a=1&b=x+y` -> {b"a": b"1", b"b": b"x y"}; the first of repeated names wins."""
    pairs: dict[bytes, bytes] = {}
    for part in query.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        name = unquote_to_bytes(name.replace(b"+", b" "))
        pairs.setdefault(name, unquote_to_bytes(value.replace(b"+", b" ")))
    return pairs


def _text_codec(charset: str) -> str:
    try:
        return charset_codec(charset)
    except UnsupportedCharset as unsupported:
        raise IcecastQueryError(str(unsupported)) from None


def _decode(value: bytes, codec: str | None) -> str:
    """NUL characters are dropped: no database text column takes them."""
    if codec is not None:
        text = value.decode(codec, errors="replace")
    else:
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            text = value.decode("latin-1")
    return text.replace("\x00", "")


def split_song(song: str) -> tuple[str, str]:
    """`Artist - Title` -> (artist, title), split on the first " - "; a song without
    one, or with nothing after it, is all title."""
    artist, separator, title = song.partition(" - ")
    if not separator or not title.strip():
        return "", song.strip()
    return artist.strip(), title.strip()


def parse_metadata_query(query: bytes) -> MetadataUpdate:
    """Decode a raw `/admin/metadata` query string into the update it asks for.

    Takes `song` (`Artist - Title`) or, as Icecast also does, separate `artist` and
    `title`. Raises IcecastQueryError for a missing or unknown `mode`, an unknown
    charset, or no title at all."""
    pairs = _raw_pairs(query)
    charset = pairs.get(b"charset")
    codec = _text_codec(charset.decode("latin-1")) if charset else None

    def text(name: bytes) -> str:
        return _decode(pairs.get(name, b""), codec).strip()

    mode = text(b"mode")
    if not mode:
        raise IcecastQueryError("Missing parameter mode")
    if mode != UPDATE_MODE:
        raise IcecastQueryError("No such action")
    if b"song" in pairs:
        artist, title = split_song(text(b"song"))
    else:
        artist, title = text(b"artist"), text(b"title")
    if not title:
        raise IcecastQueryError("Missing parameter song")
    return MetadataUpdate(mount=text(b"mount"), artist=artist, title=title)


def iceresponse(message: str, *, success: bool) -> str:
    """The XML body Icecast 2 answers admin requests with."""
    return (
        '<?xml version="1.0"?>\n'
        f"<iceresponse><message>{escape(message)}</message>"
        f"<return>{1 if success else 0}</return></iceresponse>\n"
    )
