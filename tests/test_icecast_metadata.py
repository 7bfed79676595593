"""Icecast-compatible `GET /admin/metadata`, through a real HTTP client against a live
server, as playout software calls Icecast: Basic auth with the API key as password,
`song=Artist - Title` in UTF-8 or Latin-1, and Icecast's XML answers."""

import json
from urllib.parse import quote

import pytest
import requests
from requests.auth import HTTPBasicAuth

from stations.models import TrackPlay
from tests.factories import ApiKeyFactory, WebhookFactory
from tests.xtra_examples import XTRA_NEWTRACK, assert_same_shape_as_example

pytestmark = pytest.mark.django_db(transaction=True)

SUCCESS = (
    '<?xml version="1.0"?>\n'
    "<iceresponse><message>Metadata update successful</message><return>1</return>"
    "</iceresponse>\n"
)


@pytest.fixture
def key():
    return ApiKeyFactory(station__name="Radio Example")


@pytest.fixture
def receiver(httpserver, key):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    return WebhookFactory(
        station=key.station, event_type="station.studio.newtrack", url=httpserver.url_for("/hook")
    )


def _update(live_server, key, raw_query: str, **kwargs) -> requests.Response:
    """The query goes out exactly as given (already percent-encoded, as playout software
    builds it), with Basic auth like an Icecast source client."""
    kwargs.setdefault("auth", HTTPBasicAuth("source", key.raw_key))
    return requests.get(f"{live_server.url}/admin/metadata?{raw_query}", timeout=10, **kwargs)


def test_utf8_song_is_recorded_and_raises_newtrack(live_server, key, receiver, httpserver):
    # when
    response = _update(
        live_server, key, "mount=/live&mode=updinfo&song=Sigur%20R%C3%B3s%20-%20Hopp%C3%ADpolla"
    )
    # then
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    assert response.text == SUCCESS
    play = TrackPlay.objects.get()
    assert (play.artist, play.title, play.source) == ("Sigur Rós", "Hoppípolla", "icecast")
    ((request, _),) = httpserver.log
    body = json.loads(request.get_data())
    assert body["track"] == {
        "id": play.public_id,
        "title": "Hoppípolla",
        "artist": "Sigur Rós",
        "album": "",
        "duration": 0,
    }
    assert body["station"] == {"id": key.station.public_id, "name": "Radio Example"}
    assert_same_shape_as_example(body, XTRA_NEWTRACK)


def test_latin1_song_with_charset_is_decoded_as_latin1(live_server, key, receiver, httpserver):
    # given: "Motörhead - Ace of Spades" percent-encoded from its Latin-1 bytes
    song = quote("Motörhead - Ace of Spades", encoding="latin-1")
    assert song == "Mot%F6rhead%20-%20Ace%20of%20Spades"
    query = f"mode=updinfo&mount=%2Flive&charset=ISO-8859-1&song={song}"
    # when
    response = _update(live_server, key, query)
    # then
    assert response.status_code == 200 and response.text == SUCCESS
    play = TrackPlay.objects.get()
    assert (play.artist, play.title) == ("Motörhead", "Ace of Spades")
    ((request, _),) = httpserver.log
    assert json.loads(request.get_data())["track"]["artist"] == "Motörhead"


def test_latin1_bytes_without_charset_fall_back_to_latin1(live_server, key):
    response = _update(live_server, key, "mode=updinfo&song=Mot%F6rhead+-+Ace+of+Spades")
    assert response.status_code == 200
    assert TrackPlay.objects.get().artist == "Motörhead"


def test_separate_artist_and_title_parameters(live_server, key):
    response = _update(live_server, key, "mode=updinfo&artist=Queen&title=Bohemian%20Rhapsody")
    assert response.status_code == 200
    play = TrackPlay.objects.get()
    assert (play.artist, play.title) == ("Queen", "Bohemian Rhapsody")


def test_any_user_name_works_the_password_is_the_key(live_server, key):
    response = _update(
        live_server, key, "mode=updinfo&song=A%20-%20B", auth=HTTPBasicAuth("admin", key.raw_key)
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "auth",
    [None, HTTPBasicAuth("source", "hackme"), HTTPBasicAuth("source", "shk_00000000wrongwrong")],
    ids=["no auth", "wrong password", "unknown key"],
)
def test_without_the_key_the_answer_is_401_with_a_basic_challenge(live_server, key, auth):
    response = _update(live_server, key, "mode=updinfo&song=A%20-%20B", auth=auth)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Icecast2 Server"'
    assert response.headers["Content-Type"].startswith("text/xml")
    assert "<return>0</return>" in response.text
    assert not TrackPlay.objects.exists()


def test_a_revoked_key_is_refused(live_server, key):
    key.revoked_at = key.created_at
    key.save()
    assert _update(live_server, key, "mode=updinfo&song=A%20-%20B").status_code == 401


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("song=A%20-%20B", "Missing parameter mode"),
        ("mode=killsource&mount=/live", "No such action"),
        ("mode=updinfo", "Missing parameter song"),
        ("mode=updinfo&song=", "Missing parameter song"),
        ("mode=updinfo&charset=bz2_codec&song=A", "Unsupported charset bz2_codec"),
        ("mode=updinfo&charset=klingon&song=A", "Unsupported charset klingon"),
        ("mode=updinfo&charset=idna&song=A", "Unsupported charset idna"),
        ("mode=updinfo&charset=punycode&song=%FF", "Unsupported charset punycode"),
    ],
)
def test_bad_requests_are_400_in_icecast_xml(live_server, key, query, message):
    response = _update(live_server, key, query)
    assert response.status_code == 400
    assert response.text == (
        f'<?xml version="1.0"?>\n<iceresponse><message>{message}</message>'
        "<return>0</return></iceresponse>\n"
    )
    assert not TrackPlay.objects.exists()


def test_other_methods_are_405(live_server, key):
    response = requests.post(
        f"{live_server.url}/admin/metadata?mode=updinfo&song=A",
        auth=HTTPBasicAuth("source", key.raw_key),
        timeout=10,
    )
    assert response.status_code == 405 and "<return>0</return>" in response.text


def test_the_django_admin_still_answers_next_to_it(live_server):
    response = requests.get(f"{live_server.url}/admin/", allow_redirects=False, timeout=10)
    assert response.status_code == 302 and "/admin/login/" in response.headers["Location"]
