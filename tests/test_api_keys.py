"""API keys: stored hashed, shown once, accepted in either header, revocable, recorded
when used; managed in the admin and by `manage.py create_api_key`."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from stations.api_keys import api_key_authenticate
from stations.models import ApiKey
from tests.factories import ApiKeyFactory, StationFactory

pytestmark = pytest.mark.django_db

PROGRAMS = "/api/v1/programs/"
KEYS = reverse("admin:stations_apikey_changelist")


def _stored_values(api_key: ApiKey) -> list[str]:
    return [str(value) for value in ApiKey.objects.filter(pk=api_key.pk).values().get().values()]


def test_only_a_hash_of_the_key_is_stored(api_key):
    raw_key = api_key.raw_key
    assert raw_key.startswith("shk_") and len(raw_key) >= 50
    assert raw_key not in _stored_values(api_key)
    assert api_key.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert raw_key.startswith(api_key.prefix) and len(api_key.prefix) == 12


@pytest.mark.parametrize(
    "headers",
    [
        lambda key: {"HTTP_API_KEY": key},
        lambda key: {"HTTP_AUTHORIZATION": f"Bearer {key}"},
        lambda key: {"HTTP_AUTHORIZATION": f"bearer {key}"},
    ],
    ids=["api-key header", "Authorization: Bearer", "lower-case bearer"],
)
def test_the_key_is_accepted_in_either_header(api_key, headers):
    response = APIClient().get(PROGRAMS, **headers(api_key.raw_key))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_API_KEY": "shk_00000000notarealkeynotarealkeynotarealkeynotareal"},
        {"HTTP_API_KEY": "something else entirely"},
        {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"},
    ],
    ids=["no key", "unknown key", "not a key", "other scheme"],
)
def test_without_a_valid_key_the_answer_is_401_json(api_key, headers):
    response = APIClient().get(PROGRAMS, **headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_key_with_the_right_prefix_but_wrong_secret_is_refused(api_key):
    forged = api_key.prefix + "x" * (len(api_key.raw_key) - len(api_key.prefix))
    assert api_key_authenticate(forged) is None
    assert APIClient().get(PROGRAMS, HTTP_API_KEY=forged).status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(api_client, api_key):
    # given
    assert api_key.last_used_at is None
    # when
    api_client.get(PROGRAMS)
    api_key.refresh_from_db()
    first_use = api_key.last_used_at
    api_client.get(PROGRAMS)
    api_key.refresh_from_db()
    # then
    assert first_use is not None and api_key.last_used_at == first_use
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=first_use - timedelta(minutes=2))
    api_client.get(PROGRAMS)
    api_key.refresh_from_db()
    assert api_key.last_used_at > first_use - timedelta(minutes=1)


def test_a_revoked_key_is_refused(api_client, api_key):
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=timezone.now())
    assert api_client.get(PROGRAMS).status_code == 401


def test_admin_creates_a_key_and_shows_it_once(admin_client):
    # given
    station = StationFactory()
    # when
    response = admin_client.post(
        reverse("admin:stations_apikey_add"),
        {"station": station.pk, "name": "Playout studio 1"},
        follow=True,
    )
    # then
    api_key = ApiKey.objects.get()
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    raw_key = next(m.split(": ")[-1] for m in shown if "shown once" in m)
    assert api_key_authenticate(raw_key) == api_key
    assert api_key.name == "Playout studio 1" and api_key.station == station
    listing = admin_client.get(KEYS).content.decode()
    detail = admin_client.get(
        reverse("admin:stations_apikey_change", args=[api_key.pk])
    ).content.decode()
    for page in (listing, detail):
        assert raw_key not in page and api_key.key_hash not in page
        assert f"{api_key.prefix}…" in page


def test_admin_revokes_keys_and_cannot_delete_them(admin_client, api_client, api_key):
    # when
    response = admin_client.post(
        KEYS, {"action": "revoke_selected", "_selected_action": [api_key.pk]}, follow=True
    )
    # then
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None and not api_key.is_active
    assert "Revoked 1 API key." in [str(m) for m in get_messages(response.wsgi_request)]
    assert api_client.get(PROGRAMS).status_code == 401
    delete_page = reverse("admin:stations_apikey_delete", args=[api_key.pk])
    assert admin_client.get(delete_page).status_code == 403


def test_admin_list_shows_prefix_and_last_use(admin_client, api_client, api_key):
    api_client.get(PROGRAMS)
    page = admin_client.get(KEYS).content.decode()
    assert f"{api_key.prefix}…" in page and api_key.name in page
    assert "last used" in page.lower()


def test_create_api_key_command_prints_a_working_key():
    # given
    station = StationFactory()
    out, err = StringIO(), StringIO()
    # when
    call_command("create_api_key", str(station.pk), "Rivendell", stdout=out, stderr=err)
    # then
    raw_key = out.getvalue().strip()
    api_key = api_key_authenticate(raw_key)
    assert api_key is not None and api_key.station == station and api_key.name == "Rivendell"
    assert raw_key not in err.getvalue() and api_key.prefix in err.getvalue()
    assert APIClient().get(PROGRAMS, HTTP_API_KEY=raw_key).status_code == 200


def test_create_api_key_command_takes_the_public_station_id_too():
    station = StationFactory()
    out = StringIO()
    call_command("create_api_key", station.public_id, "mAirList", stdout=out, stderr=StringIO())
    assert api_key_authenticate(out.getvalue().strip()).station == station


def test_create_api_key_command_refuses_an_unknown_station():
    with pytest.raises(CommandError, match="No station with id 999"):
        call_command("create_api_key", "999", "x", stdout=StringIO(), stderr=StringIO())


def test_each_key_is_different():
    station = StationFactory()
    keys = [ApiKeyFactory(station=station) for _ in range(5)]
    assert len({k.raw_key for k in keys}) == 5 and len({k.prefix for k in keys}) == 5
