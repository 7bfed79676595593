"""The WSGI gate in front of the application (config/wsgi.py): a Content-Type naming a
charset outside the allow-list is a 400, on every URL, before Django builds the request
(Django itself raised out of its handler for some: a 500 with no page)."""

import json

import pytest

from config.wsgi import application
from tests.wsgi_helpers import call_wsgi


@pytest.mark.parametrize(
    ("content_type", "detail"),
    [
        ("application/json; charset=bz2_codec", "Unsupported charset bz2_codec in Content-Type."),
        ("application/json; charset=idna", "Unsupported charset idna in Content-Type."),
        ("application/x-www-form-urlencoded; charset=rot13", "Unsupported charset rot13"),
        ("text/plain; charset=klingon", "Unsupported charset klingon in Content-Type."),
        ("application/json; charset*=idna''%41", "Malformed Content-Type header."),
        ("application/json; x*=klingon''%41", "Malformed Content-Type header."),
    ],
)
@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/programs/", "x=%00"),
        ("/admin/login/", "next=%FF"),
        ("/admin/metadata", "mode=updinfo&song=A%20-%20B"),
    ],
)
def test_an_unsupported_charset_is_a_400_on_every_url(content_type, detail, path, query):
    status, body = call_wsgi(
        application, method="POST", path=path, query=query, content_type=content_type
    )
    assert status == "400 Bad Request"
    assert json.loads(body)["detail"].startswith(detail)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "content_type",
    ["", "application/json", "application/json; charset=utf-8", 'text/html; charset="ISO-8859-1"'],
)
def test_supported_or_no_charset_reaches_the_application(content_type):
    status, body = call_wsgi(
        application, method="GET", path="/api/v1/programs/", content_type=content_type
    )
    assert status.startswith("401")
    assert "credentials" in json.loads(body)["detail"]
