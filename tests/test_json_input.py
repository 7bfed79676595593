"""JSON input the hub refuses with a clear 400, never a 500 (guards.json_input): nesting
deeper than 64 levels, non-finite numbers (NaN, Infinity, 1e400) and lone surrogates, in
keys and values; on every JSON endpoint, SQLite and PostgreSQL alike."""

import html
import json

import pytest
from django import forms

from guards.forms import JSONInputField
from guards.json_input import MAX_JSON_DEPTH, JSONInputError, check_json_value, json_input_loads
from stations.models import Presenter, Program
from tests.factories import EncoderFactory, ProgramFactory, StreamFactory

pytestmark = pytest.mark.django_db

TOO_DEEP = "JSON nested too deeply: at most 64 levels of arrays and objects."
LONE_KEY = "Strings must be valid Unicode: a key holds a lone surrogate (\\ud800)."
LONE_VALUE = "Strings must be valid Unicode: a value holds a lone surrogate (\\ud800)."


def _nested(levels: int, inner: str = "1") -> str:
    """`levels` arrays, one inside the other, around `inner`."""
    return "[" * levels + inner + "]" * levels


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1e400}', "Numbers must be finite: 1e400 is out of range."),
        ('{"a": -1e400}', "Numbers must be finite: -1e400 is out of range."),
        ("[1" + "0" * 400 + ".5]", "is out of range"),
        ('{"a": NaN}', "Numbers must be finite: NaN is not allowed."),
        ('{"a": Infinity}', "Numbers must be finite: Infinity is not allowed."),
        ('{"a": -Infinity}', "Numbers must be finite: -Infinity is not allowed."),
        ('{"\\ud800": 1}', LONE_KEY),
        ('{"a": "\\ud800"}', LONE_VALUE),
        ('{"a": ["x", {"b": "tail \\udfff"}]}', "a value holds a lone surrogate (\\udfff)"),
        ('{"a": "\\udc00\\ud800"}', "lone surrogate (\\udc00)"),
        ('"\ud800"', LONE_VALUE),
        (_nested(MAX_JSON_DEPTH + 1), TOO_DEEP),
        (_nested(330), TOO_DEEP),
        (_nested(100_000), TOO_DEEP),
        ("[" * 100_000, TOO_DEEP),
        ('{"a":' * 65 + "1" + "}" * 65, TOO_DEEP),
        (_nested(MAX_JSON_DEPTH, '{"a": 1}'), TOO_DEEP),
    ],
)
def test_input_breaking_a_rule_is_refused_saying_which(text, message):
    with pytest.raises(JSONInputError) as refused:
        json_input_loads(text)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    "text",
    [
        _nested(MAX_JSON_DEPTH),
        '{"a":' * 63 + "[1]" + "}" * 63,
        '{"a": 1e308, "b": -0.0, "c": 5e-324, "d": 12345678901234567890123}',
        '{"emoji": "\\ud83d\\ude00", "raw": "\U0001f600", "name": "Bj\u00f6rk"}',
        '{"not a surrogate": "\\\\ud800", "brackets in a string": "[[[[[[[[[[[[[[[[[["}',
        '["' + "[" * 200 + '"]',
        '{"nul": "a\\u0000b"}',
    ],
)
def test_input_within_the_rules_parses_as_json_does(text):
    assert json_input_loads(text) == json.loads(text)
    assert json_input_loads(text.encode()) == json.loads(text)


def test_malformed_json_is_a_plain_value_error():
    with pytest.raises(ValueError) as malformed:
        json_input_loads('{"a": ')
    assert not isinstance(malformed.value, JSONInputError)


def test_encoded_surrogates_in_bytes_are_malformed_utf8():
    with pytest.raises(UnicodeDecodeError):
        json_input_loads(b'{"a": "\xed\xa0\x80"}')


def test_nul_is_refused_only_when_asked():
    with pytest.raises(JSONInputError, match="Null characters are not allowed"):
        json_input_loads('{"a\\u0000": 1}', allow_nul=False)


def _deep_dict(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (_deep_dict(MAX_JSON_DEPTH + 1), TOO_DEEP),
        (_deep_dict(50_000), TOO_DEEP),
        ({"a": [float("inf")]}, "Numbers must be finite: inf is not allowed."),
        ({"a": float("nan")}, "Numbers must be finite: nan is not allowed."),
        ({"\ud800": 1}, LONE_KEY),
        ({"a": ("x", "\ud800")}, LONE_VALUE),
    ],
)
def test_python_values_get_the_same_rules(value, message):
    with pytest.raises(JSONInputError) as refused:
        check_json_value(value)
    assert message in str(refused.value)


def test_python_values_within_the_rules_pass():
    check_json_value({"a": [1, 2.5, None, True, "\U0001f600"], "b": _deep_dict(MAX_JSON_DEPTH - 1)})
    with pytest.raises(JSONInputError, match="Null characters"):
        check_json_value({"a": ["\x00"]}, allow_nul=False)


# Through the API: the body's own object is level 1, so field_values may hold 63 more.

FIELD_VALUES_REFUSED = [
    ('{"a": 1e400}', "Numbers must be finite: 1e400 is out of range."),
    ('{"\\ud800": "x"}', LONE_KEY),
    ('{"a": "\\ud800"}', LONE_VALUE),
    ('{"a": ' + _nested(330) + "}", TOO_DEEP),
    ('{"a": ' + _nested(MAX_JSON_DEPTH - 1) + "}", TOO_DEEP),
]


def _post(api_client, path, text, content_type="application/json"):
    return api_client.generic("POST", path, text.encode("utf-8"), content_type=content_type)


@pytest.mark.parametrize(("field_values", "message"), FIELD_VALUES_REFUSED)
def test_field_values_breaking_a_rule_are_400_and_nothing_is_saved(
    api_client, field_values, message
):
    response = _post(
        api_client, "/api/v1/programs/", f'{{"title": "x", "field_values": {field_values}}}'
    )
    assert response.status_code == 400
    assert response.json() == {"detail": f"JSON parse error - {message}"}
    assert not Program.all_objects.exists()


@pytest.mark.parametrize(("field_values", "message"), FIELD_VALUES_REFUSED)
def test_field_values_breaking_a_rule_are_400_on_update_too(
    api_client, api_key, field_values, message
):
    program = ProgramFactory(station=api_key.station, field_values={"kept": True})
    response = api_client.generic(
        "PATCH",
        f"/api/v1/programs/{program.pk}/",
        f'{{"field_values": {field_values}}}'.encode(),
        content_type="application/json",
    )
    assert response.status_code == 400 and message in response.json()["detail"]
    program.refresh_from_db()
    assert program.field_values == {"kept": True}


def test_field_values_at_the_limit_are_stored_and_read_back(api_client):
    # the body (1), field_values (2), "deep": 61 arrays (3-63), the leaf object (64)
    deepest = json.loads(_nested(MAX_JSON_DEPTH - 3, '{"leaf": "\\ud83d\\ude00"}'))
    field_values = {"deep": deepest, "tiny": 5e-324, "name": "Bj\u00f6rk"}
    response = api_client.post(
        "/api/v1/programs/", {"title": "x", "field_values": field_values}, format="json"
    )
    assert response.status_code == 201, response.content
    program = Program.objects.get()
    assert program.field_values == field_values
    assert api_client.get(f"/api/v1/programs/{program.pk}/").json()["field_values"] == field_values


def test_nul_in_field_values_keys_is_refused(api_client):
    response = _post(
        api_client,
        "/api/v1/presenters/",
        '{"firstname": "A", "lastname": "B", "field_values": {"a\\u0000": 1}}',
    )
    assert response.status_code == 400
    assert response.json() == {"field_values": ["Null characters are not allowed."]}
    assert not Presenter.all_objects.exists()


def _json_endpoints(station) -> list[tuple[str, str]]:
    program = ProgramFactory(station=station)
    encoder = EncoderFactory(station=station)
    stream = StreamFactory(station=station)
    endpoints = [("POST", "/api/v1/studio/tracks/")]
    endpoints += [("POST", f"/api/v1/encoders/{encoder.public_id}/status/")]
    endpoints += [("POST", f"/api/v1/streams/{stream.uuid}/status/")]
    for model in ("programs", "broadcasts", "items", "presenters", "contacts", "campaigns"):
        endpoints.append(("POST", f"/api/v1/{model}/"))
    endpoints += [(method, f"/api/v1/programs/{program.pk}/") for method in ("PUT", "PATCH")]
    return endpoints


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"title": ' + _nested(10_000) + "}", TOO_DEEP),
        ("[" * 200_000, TOO_DEEP),
        ('{"title": "\\ud800"}', LONE_VALUE),
        ('{"title": "x", "duration": 1e400}', "Numbers must be finite"),
    ],
)
def test_every_json_endpoint_answers_400_saying_which_rule(api_client, api_key, body, message):
    for method, path in _json_endpoints(api_key.station):
        response = api_client.generic(method, path, body.encode(), content_type="application/json")
        assert response.status_code == 400, (method, path, response.content[:200])
        assert response.json()["detail"].startswith(f"JSON parse error - {message}"), path


# A name Python does not know at all (charset=klingon) is dropped by Django: UTF-8 is read.
@pytest.mark.parametrize("charset", ["idna", "punycode", "rot13", "bz2_codec", "utf-7"])
def test_a_charset_outside_the_allow_list_is_400(api_client, charset):
    response = _post(
        api_client, "/api/v1/programs/", '{"title": "x"}', f"application/json; charset={charset}"
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - Unsupported charset")
    assert not Program.all_objects.exists()


@pytest.mark.parametrize("charset", ["utf-8", "UTF-16", "utf-32-le", "iso-8859-1"])
def test_a_body_in_an_allowed_charset_is_read_in_it(api_client, charset):
    body = '{"title": "Bj\u00f6rk"}'.encode(charset)
    response = api_client.generic(
        "POST", "/api/v1/programs/", body, content_type=f"application/json; charset={charset}"
    )
    assert response.status_code == 201, response.content
    assert Program.objects.get().title == "Bj\u00f6rk"


def test_malformed_json_keeps_its_error_shape(api_client):
    response = _post(api_client, "/api/v1/programs/", '{"title": ')
    assert response.status_code == 400
    assert response.json() == {
        "detail": "JSON parse error - Expecting value: line 1 column 11 (char 10)"
    }


# The admin's JSON form field: the same rules as a form error, the input shown back.


class _FieldValuesForm(forms.Form):
    field_values = JSONInputField()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1e400}', "Numbers must be finite: 1e400 is out of range."),
        ('{"\\ud800": "x"}', LONE_KEY),
        ('{"a": "\\ud800"}', LONE_VALUE),
        ('{"a": ' + _nested(330) + "}", TOO_DEEP),
        ('{"a": "\\u0000"}', "Null characters are not allowed."),
        ('{"a": ', "Enter a valid JSON."),
    ],
)
def test_the_form_field_answers_a_form_error_and_shows_the_input_back(text, message):
    form = _FieldValuesForm(data={"field_values": text})
    assert not form.is_valid()
    assert form.errors["field_values"] == [message]
    rendered = str(form["field_values"])
    assert html.escape(text) in rendered
    rendered.encode("utf-8")  # shown back without a lone surrogate in the page


def test_the_form_field_takes_json_within_the_rules():
    form = _FieldValuesForm(data={"field_values": '{"a": [1, 2.5, "\\ud83d\\ude00"]}'})
    assert form.is_valid()
    assert form.cleaned_data["field_values"] == {"a": [1, 2.5, "\U0001f600"]}
