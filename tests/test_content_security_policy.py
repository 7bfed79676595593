"""Every page is served with a strict Content-Security-Policy: scripts and styles from this
server only, no inline script, no eval, inline <style> only with the request's nonce.
(The browser tests check that the admin and the API docs run under it.)"""

import re
from importlib.metadata import version
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

THEME_OVERRIDES = [
    "unfold/layouts/skeleton.html",
    "unfold/helpers/welcomemsg.html",
    "unfold/helpers/command.html",
    "admin/change_form.html",
    "admin/actions.html",
]


def _policy(response) -> dict[str, list[str]]:
    return {
        directive.split()[0]: directive.split()[1:]
        for directive in response.headers["Content-Security-Policy"].split(";")
    }


@pytest.mark.parametrize("url", [reverse("admin:index"), reverse("api-docs")])
def test_pages_send_a_strict_policy(admin_client, url):
    response = admin_client.get(url)
    policy = _policy(response)
    assert policy["script-src"][0] == "'self'" and policy["style-src"][0] == "'self'"
    for directive in ("script-src", "style-src", "default-src"):
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(policy[directive])
        assert all(
            source == "'self'" or source.startswith("'nonce-") for source in policy[directive]
        )
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


def test_inline_styles_carry_the_nonce_and_no_inline_script_is_left(admin_client):
    response = admin_client.get(reverse("admin:index"))
    html = response.content.decode()
    nonce = next(s for s in _policy(response)["style-src"] if s.startswith("'nonce-"))[7:-1]
    assert re.findall(r"<style[^>]*>", html) == [
        f'<style id="unfold-theme-colors" nonce="{nonce}">'
    ]
    assert not re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "alpinejs-csp-3.17.4/cdn.min.js" in html and "unfold/js/alpine/alpine.js" not in html


def test_api_docs_load_their_start_up_script_as_a_file(client):
    html = client.get(reverse("api-docs")).content.decode()
    assert not re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    script = client.get(reverse("api-docs") + "?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_theme_templates_changed_for_the_policy_match_the_pinned_theme():
    """The overrides are copies of the theme's templates with small changes: a new theme
    version must be compared with them (and this pin moved) before it is used."""
    pinned = version("django-unfold")
    for name in THEME_OVERRIDES:
        first_line = (Path(settings.BASE_DIR) / "templates" / name).read_text().split("\n")[0]
        assert first_line.startswith(f"{{# django-unfold {pinned}'s {name}, changed for the"), name
