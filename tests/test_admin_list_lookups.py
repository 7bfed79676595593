"""A list page's query string may name any field lookup; a value the database layer cannot
turn into SQL (year 0 of a date), or a lookup a query string cannot give a usable value
(range, regex), is refused like any bad filter ("?e=1"), never a 500; a NUL character
anywhere in an admin address is a 400 (PostgreSQL text cannot hold one)."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_q.models import Task

from stations.models import TrackPlay
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("changelist", "lookup"),
    [
        ("webhooks_alertpolicy", "created_at__year=0"),
        ("webhooks_delivery", "created_at__year=0"),
        ("webhooks_inboundrequest", "received_at__year=0"),
        ("stations_program", "created_at__year=0"),
        ("stations_broadcast", "start__year=0"),
    ],
)
def test_a_lookup_value_sql_cannot_hold_is_refused(admin_client, changelist, lookup):
    response = admin_client.get(f"{reverse(f'admin:{changelist}_changelist')}?{lookup}")
    assert response.status_code == 302
    assert response.url.endswith("?e=1")
    # and a valid value of the same lookup still lists
    valid = lookup.replace("=0", "=2026")
    assert (
        admin_client.get(f"{reverse(f'admin:{changelist}_changelist')}?{valid}").status_code == 200
    )


@pytest.mark.parametrize(
    ("changelist", "lookup"),
    [
        ("webhooks_delivery", "attempt_count__range=1"),  # was an IndexError
        ("webhooks_delivery", "attempt_count__range=123"),  # was a ProgrammingError
        ("stations_program", "created_at__contained_by=1"),  # PostgreSQL: a DataError
        ("stations_trackplay", "album__iregex=[]"),  # SQLite: OperationalError
        ("stations_program", "title__regex=("),  # PostgreSQL: DataError
        ("django_q_schedule", "repeats__range=1"),  # the system tables' lists too
        ("auth_user", "date_joined__year=0"),
    ],
)
def test_a_lookup_a_query_string_cannot_fill_is_refused(admin_client, changelist, lookup):
    station = factories.StationFactory()  # rows, for the patterns to be run on
    factories.ProgramFactory(station=station)
    TrackPlay.objects.create(station=station, title="Hey Jude", album="Past Masters", source="api")
    response = admin_client.get(f"{reverse(f'admin:{changelist}_changelist')}?{lookup}")
    assert (response.status_code, response.url[-4:]) == (302, "?e=1")


def test_a_json_lookup_the_database_lacks_is_refused(admin_client):
    """`contains` of a JSON field: PostgreSQL has it (the query string's text is a JSON
    string, which lists what contains it), SQLite does not (refused there)."""
    factories.ProgramFactory(field_values={"genre": "jazz"})
    url = reverse("admin:stations_program_changelist") + '?field_values__contains={"genre":"jazz"}'
    response = admin_client.get(url)
    if connection.vendor == "postgresql":
        assert response.status_code == 200
    else:
        assert (response.status_code, response.url[-4:]) == (302, "?e=1")


def test_a_nul_character_in_an_admin_address_is_refused(admin_client):
    now = timezone.now()
    Task.objects.create(id="a", name="a", func="f", started=now, stopped=now, success=True)
    program = factories.ProgramFactory()
    for url in [
        reverse("admin:stations_program_changelist") + "?q=a%00b",
        reverse("admin:stations_program_changelist") + "?title%00=a",
        reverse("admin:autocomplete")
        + "?term=%00&app_label=stations&model_name=broadcast&field_name=program",
        reverse("admin:django_q_success_history", args=["a\x00"]),
        reverse("admin:django_q_success_change", args=["a\x00"]),
        reverse("admin:search") + "?s=%00",
    ]:
        response = admin_client.get(url)
        assert response.status_code == 400, url
        assert b"NUL character" in response.content
    listed = admin_client.get(reverse("admin:stations_program_changelist") + f"?q={program.title}")
    assert listed.status_code == 200
