"""The charsets the hub decodes request text in: an allow-list of text encodings.

A client names the charset (`Content-Type: ...; charset=`, Icecast's `charset=`), and
Python's codec registry holds more than character sets: bytes-to-bytes transforms
(`bz2_codec`, `base64_codec`), str-to-str ones (`rot_13`), and `idna`/`punycode`, which
decode host names only and refuse `errors="replace"`. Looking a client's name up there
turns a typo or a probe into a 500. So names are matched, as Python matches them, against
the encodings below and nothing else; anything else is answered as unsupported.
"""

import encodings
from encodings.aliases import aliases

__all__ = ["ALLOWED_CODECS", "UnsupportedCharset", "charset_codec"]

ALLOWED_CODECS = frozenset(
    {
        # Unicode
        *("utf_8", "utf_8_sig", "utf_16", "utf_16_le", "utf_16_be"),
        *("utf_32", "utf_32_le", "utf_32_be"),
        # Western and Central European, Cyrillic, Greek, Turkish, Hebrew, Arabic, Baltic
        *("ascii", "latin_1", "mac_roman", "cp437", "cp850", "cp852", "cp866"),
        *(f"iso8859_{part}" for part in (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16)),
        *(f"cp125{digit}" for digit in range(9)),
        *("koi8_r", "koi8_u", "cp874", "tis_620"),
        # East Asian
        *("shift_jis", "cp932", "euc_jp", "iso2022_jp", "gb2312", "gbk", "gb18030"),
        *("big5", "big5hkscs", "euc_kr", "cp949"),
    }
)


class UnsupportedCharset(ValueError):
    """The named charset is not one the hub decodes; the message names it."""


def charset_codec(charset: str) -> str:
    """The Python codec for a client-named `charset` ("ISO-8859-1" -> "latin_1"), if it is
    one of ALLOWED_CODECS; raises UnsupportedCharset otherwise. Never consults the codec
    registry with the client's name."""
    name = encodings.normalize_encoding(charset.strip()).lower()
    codec = aliases.get(name) or aliases.get(name.replace(".", "_")) or name
    if codec not in ALLOWED_CODECS:
        shown = "".join(char for char in charset[:40] if char.isprintable())
        raise UnsupportedCharset(f"Unsupported charset {shown}")
    return codec
