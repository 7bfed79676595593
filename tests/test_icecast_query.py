"""Decoding Icecast metadata queries (stations/icecast.py): charsets, Latin-1 fallback,
splitting `Artist - Title`, and Icecast's XML answers."""

from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from stations.icecast import (
    IcecastQueryError,
    MetadataUpdate,
    iceresponse,
    parse_metadata_query,
    split_song,
)


@pytest.mark.parametrize(
    ("song", "expected"),
    [
        ("The Beatles - Hey Jude", ("The Beatles", "Hey Jude")),
        ("AC/DC - T.N.T. - Live", ("AC/DC", "T.N.T. - Live")),
        ("  Queen  -  Bohemian Rhapsody ", ("Queen", "Bohemian Rhapsody")),
        ("Station ID", ("", "Station ID")),
        ("Jean-Michel Jarre - Oxygène", ("Jean-Michel Jarre", "Oxygène")),
        ("Artist - ", ("", "Artist -")),
        ("", ("", "")),
    ],
)
def test_split_song_on_the_first_separator(song, expected):
    assert split_song(song) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"mode=updinfo&mount=/live&song=A%20-%20B", MetadataUpdate("/live", "A", "B")),
        (b"mode=updinfo&song=A+-+B", MetadataUpdate("", "A", "B")),
        (b"song=Bj%C3%B6rk%20-%20J%C3%B3ga&mode=updinfo", MetadataUpdate("", "Björk", "Jóga")),
        (b"mode=updinfo&song=Bj%F6rk%20-%20J%F3ga", MetadataUpdate("", "Björk", "Jóga")),
        (
            b"mode=updinfo&charset=ISO-8859-1&song=Bj%F6rk%20-%20J%F3ga",
            MetadataUpdate("", "Björk", "Jóga"),
        ),
        (
            b"mode=updinfo&charset=latin1&song=Bj%C3%B6rk",  # the charset wins over a guess
            MetadataUpdate("", "", "BjÃ¶rk"),
        ),
        (
            b"mode=updinfo&charset=windows-1252&song=%93Quoted%94%20-%20%80uro",
            MetadataUpdate("", "\u201cQuoted\u201d", "\u20acuro"),
        ),
        (b"mode=updinfo&song=raw \xf6 latin1", MetadataUpdate("", "", "raw \xf6 latin1")),
        (b"mode=updinfo&song=A%00B", MetadataUpdate("", "", "AB")),
        (b"mode=updinfo&artist=Queen&title=Innuendo", MetadataUpdate("", "Queen", "Innuendo")),
        (b"mode=updinfo&song=A%20-%20B&song=C%20-%20D", MetadataUpdate("", "A", "B")),
    ],
)
def test_parse_metadata_query(query, expected):
    assert parse_metadata_query(query) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (b"", "Missing parameter mode"),
        (b"mode=listclients", "No such action"),
        (b"mode=updinfo&artist=Only%20artist", "Missing parameter song"),
        (b"mode=updinfo&charset=rot13&song=x", "Unsupported charset rot13"),
        (b"mode=updinfo&charset=%FF&song=x", "Unsupported charset \xff"),
        (b"mode=updinfo&charset=idna&song=x", "Unsupported charset idna"),
        (b"mode=updinfo&charset=punycode&song=x", "Unsupported charset punycode"),
        (b"mode=updinfo&charset=base64&song=x", "Unsupported charset base64"),
        (b"mode=updinfo&charset=utf-7&song=x", "Unsupported charset utf-7"),
        (b"mode=updinfo&charset=x%00y&song=x", "Unsupported charset xy"),
    ],
)
def test_queries_icecast_would_refuse(query, message):
    with pytest.raises(IcecastQueryError, match=message):
        parse_metadata_query(query)


_text = st.text(alphabet=st.characters(codec="latin-1", exclude_characters="\x00"), min_size=1).map(
    str.strip
)


@given(
    artist=_text,
    title=_text.filter(bool),
    charset=st.sampled_from(["UTF-8", "ISO-8859-1", None]),
)
def test_any_song_round_trips_through_percent_encoding(artist, title, charset):
    """Whatever a playout system encodes, in the charset it names, decodes back to the
    same artist and title (with no charset: UTF-8, which a Latin-1 guess never breaks)."""
    song = f"{artist} - {title}" if artist else title
    assume(" - " not in title if not artist else song.find(" - ") == len(artist))
    encoded = quote(song, safe="", encoding=charset or "UTF-8")
    query = f"mode=updinfo&song={encoded}"
    if charset:
        query += f"&charset={charset}"
    assert parse_metadata_query(query.encode()) == MetadataUpdate("", artist, title.strip())


def test_iceresponse_is_icecasts_xml():
    assert iceresponse("Metadata update successful", success=True) == (
        '<?xml version="1.0"?>\n<iceresponse><message>Metadata update successful</message>'
        "<return>1</return></iceresponse>\n"
    )
    assert "<message>a &lt;b&gt; &amp; c</message><return>0</return>" in iceresponse(
        "a <b> & c", success=False
    )
