"""The admin's field_values (the six push models' forms) follow the JSON input rules: a
form error that says which rule, the input shown back, nothing saved, never a 500."""

import html
import json

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from stations.models import Broadcast, Campaign, Contact, Item, Presenter, Program
from tests.factories import BroadcastFactory, ProgramFactory, StationFactory

pytestmark = pytest.mark.django_db

BAD_FIELD_VALUES = [
    ('{"a": 1e400}', "Numbers must be finite: 1e400 is out of range."),
    ('{"\\ud800": "x"}', "a key holds a lone surrogate (\\ud800)"),
    ('{"a": "\\ud800"}', "a value holds a lone surrogate (\\ud800)"),
    ('{"a": ' + "[" * 330 + "]" * 330 + "}", "JSON nested too deeply"),
    ('{"a": NaN}', "Numbers must be finite: NaN is not allowed."),
    ('{"a": "\\u0000"}', "Null characters are not allowed."),
    ("null", "Enter a JSON object"),
    ('["a list"]', "Enter a JSON object"),
    ('"a string"', "Enter a JSON object"),
    ("{", "Enter a valid JSON."),
]


def _add_form(model: str, station) -> dict:
    """The smallest valid add form of each push model."""
    base = {"station": station.pk, "field_values": "{}"}
    schedule = {"start_0": "2026-01-26", "start_1": "10:00:00"}
    if model == "broadcast":
        base["program"] = ProgramFactory(station=station).pk
    if model == "item":
        base["broadcast"] = BroadcastFactory(station=station).pk
    return {
        "program": {**base, "title": "Morning Show"},
        "broadcast": {
            **base,
            "title": "Morning",
            **schedule,
            "stop_0": "2026-01-26",
            "stop_1": "11:00:00",
        },
        "item": {**base, "title": "Hey Jude", "duration": 431, **schedule, "status": "scheduled"},
        "presenter": {**base, "firstname": "Ann", "lastname": "Lee"},
        "contact": {**base, "firstname": "Eva", "lastname": "Bakker"},
        "campaign": {
            **base,
            "title": "Spring",
            **schedule,
            "stop_0": "2026-02-26",
            "stop_1": "10:00:00",
        },
    }[model]


MODELS = {
    "program": Program,
    "broadcast": Broadcast,
    "item": Item,
    "presenter": Presenter,
    "contact": Contact,
    "campaign": Campaign,
}


@pytest.mark.parametrize("model", sorted(MODELS))
def test_an_emptied_field_values_is_saved_as_an_empty_object(admin_client, model):
    form = {**_add_form(model, StationFactory()), "field_values": ""}
    response = admin_client.post(reverse(f"admin:stations_{model}_add"), form)
    assert response.status_code == 302
    assert MODELS[model].objects.get().field_values == {}


@pytest.mark.parametrize("model", sorted(MODELS))
def test_a_valid_add_form_saves(admin_client, model):
    form = {**_add_form(model, StationFactory()), "field_values": '{"a": [1, "\\u00e9"]}'}
    response = admin_client.post(reverse(f"admin:stations_{model}_add"), form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert MODELS[model].objects.get().field_values == {"a": [1, "\u00e9"]}


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize(("field_values", "message"), BAD_FIELD_VALUES)
def test_bad_field_values_are_a_form_error(admin_client, model, field_values, message):
    form = {**_add_form(model, StationFactory()), "field_values": field_values}
    response = admin_client.post(reverse(f"admin:stations_{model}_add"), form)
    assert response.status_code == 200
    page = response.content.decode()
    assert html.escape(message) in page
    assert html.escape(field_values) in page  # shown back as typed
    assert not MODELS[model].objects.exists()


@pytest.mark.parametrize(("field_values", "message"), BAD_FIELD_VALUES)
def test_the_program_change_form_keeps_the_stored_values(admin_client, field_values, message):
    program = ProgramFactory(title="Morning", field_values={"kept": True})
    form = {"station": program.station_id, "title": "Renamed", "field_values": field_values}
    response = admin_client.post(reverse("admin:stations_program_change", args=[program.pk]), form)
    assert response.status_code == 200 and html.escape(message) in response.content.decode()
    program.refresh_from_db()
    assert (program.title, program.field_values) == ("Morning", {"kept": True})


field_values_texts = st.one_of(
    st.text(max_size=80),
    st.sampled_from([text for text, _ in BAD_FIELD_VALUES]),
    st.integers(min_value=1, max_value=3000).map(lambda depth: "[" * depth + "]" * depth),
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=5), children, max_size=3)
        ),
        max_leaves=8,
    ).map(json.dumps),
)


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(field_values=field_values_texts, title=st.text(max_size=30))
def test_the_program_form_never_answers_5xx(admin_client, field_values, title):
    station = StationFactory()
    form = {"station": station.pk, "title": title, "field_values": field_values}
    response = admin_client.post(reverse("admin:stations_program_add"), form)
    assert response.status_code in (200, 302)
