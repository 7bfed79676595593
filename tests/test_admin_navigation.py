"""The admin's shell: StationHooks' branding, the sidebar in an operator's order with
entries only for what the user may view, the dashboard as home page, and the receiver
guide rendered in the admin."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _sidebar_titles(html: str) -> list[str]:
    sidebar = html[html.index('id="nav-sidebar-apps"') :]
    sidebar = sidebar[: sidebar.index("</nav>")]
    return [
        re.sub(r"\s+", " ", title).strip()
        for title in re.findall(r"<h2[^>]*>\s*([^<]+?)\s*<|<span>([^<]+)</span>", sidebar)
        for title in title
        if title.strip()
    ]


def test_branding_and_sidebar_order(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "<title> Dashboard | StationHooks</title>" in html
    assert "Django administration" not in html and "Django site admin" not in html
    titles = _sidebar_titles(html)
    expected = [
        "Dashboard",
        "Webhooks",
        "Webhooks",
        "Deliveries",
        "Resync jobs",
        "Alert policies",
        "Inbound sources",
        "Inbound log",
        "Station data",
        "Stations",
    ]
    assert titles[: len(expected)] == expected
    assert titles.index("Station data") < titles.index("System") < titles.index("Users")
    assert titles[-3:] == ["Help", "API docs", "Receiver guide"]
    assert f'href="{reverse("api-docs")}"' in html
    assert f'href="{reverse("admin:receiver_guide")}"' in html


def test_sidebar_shows_only_what_the_user_may_view(client, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_webhook", "view_delivery"])
    )
    client.force_login(user)
    titles = _sidebar_titles(client.get(reverse("admin:index")).content.decode())
    assert "Webhooks" in titles and "Deliveries" in titles
    for hidden in ["Resync jobs", "Programs", "Users", "Queued tasks", "Failed tasks"]:
        assert hidden not in titles


def test_login_page_is_branded(client):
    html = client.get(reverse("admin:login")).content.decode()
    assert "StationHooks" in html and "Django" not in html


def test_site_root_and_admin_home_lead_to_the_dashboard(admin_client):
    page = admin_client.get("/", follow=True)
    assert page.redirect_chain == [("/admin/", 302)]
    assert "<title> Dashboard | StationHooks</title>" in page.content.decode()


def test_receiver_guide_is_rendered_in_the_admin(admin_client, client):
    html = admin_client.get(reverse("admin:receiver_guide")).content.decode()
    assert "<h1>Receiver guide</h1>" in html
    assert '<code class="language-python">from standardwebhooks' in html
    assert client.get(reverse("admin:receiver_guide")).status_code == 302  # login first
