"""The admin's permission matrix: every admin URL and every action, for each role (and a
staff user with no role), on the user's own station and on another one.

The tables below state who may do what; the test discovers the admin's models, URLs and
actions from the admin site itself, so an admin, page or action missing from the tables
fails `test_the_matrix_covers_every_admin_url_and_action`. Allowed actions and pages that
act must write an admin history entry (LogEntry) for what they acted on; forbidden ones
answer 403 (pages) or are not offered (actions), and act on nothing. Another station's
objects are out of reach for everyone but superusers."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from stations.permissions import ADMIN, OPERATOR, VIEWER
from tests import factories
from tests.admin_objects import STAFF, SUPERUSER, SYSTEM_APPS, client_of, object_of
from webhooks.models import InboundSource

pytestmark = pytest.mark.django_db

NOBODY = "nobody"  # not even superusers: the admin forbids it (logs, revoke-only keys)
RANKS = [STAFF, VIEWER, OPERATOR, ADMIN, SUPERUSER]  # each may do what those before may


def may(role: str, least: str | None) -> bool:
    """Whether `role` reaches `least`, the least role allowed (None: superusers only)."""
    return least != NOBODY and RANKS.index(role) >= RANKS.index(least or SUPERUSER)


# Django's four on each admin: the least role that may view, add, change, delete.
RECORD = (VIEWER, OPERATOR, OPERATOR, OPERATOR)
LOG = (VIEWER, NOBODY, NOBODY, NOBODY)
PRUNABLE_LOG = (VIEWER, NOBODY, NOBODY, None)
MODELS = {
    "stations.station": (VIEWER, None, ADMIN, None),
    "stations.program": RECORD,
    "stations.broadcast": RECORD,
    "stations.item": RECORD,
    "stations.presenter": RECORD,
    "stations.contact": RECORD,
    "stations.campaign": RECORD,
    "stations.stream": RECORD,
    "stations.encoder": RECORD,
    "stations.streamcheck": LOG,
    "stations.trackplay": PRUNABLE_LOG,
    "stations.apikey": (VIEWER, ADMIN, ADMIN, NOBODY),
    "webhooks.webhook": RECORD,
    "webhooks.alertpolicy": RECORD,
    "webhooks.inboundsource": RECORD,
    "webhooks.inboundrequest": LOG,
    "webhooks.delivery": LOG,
    "webhooks.resyncjob": PRUNABLE_LOG,
}

# Every action: the least role that may run it.
RECORDS = ["program", "broadcast", "item", "presenter", "contact", "campaign"]
ACTIONS = {
    **{(f"stations.{m}", "recover_selected"): OPERATOR for m in RECORDS},
    ("stations.apikey", "revoke_selected"): ADMIN,
    ("webhooks.webhook", "send_test_event"): OPERATOR,
    ("webhooks.webhook", "manual_resync"): OPERATOR,
    ("webhooks.webhook", "rotate_secret"): ADMIN,
    ("webhooks.webhook", "enable_webhooks"): OPERATOR,
    ("webhooks.webhook", "disable_webhooks"): OPERATOR,
    ("webhooks.delivery", "redeliver"): OPERATOR,
    ("webhooks.inboundrequest", "replay"): OPERATOR,
}
WINDOW = {"window_start": "2026-02-02T00:00", "window_end": "2026-02-09T00:00", "start": ""}
# What an action's follow-up page is posted (the action only opens it).
FOLLOW_UPS = {"manual_resync": WINDOW}

# The admins' own pages: the least role, what to POST, and whether it acts (writes history).
PAGES = {
    "webhooks_webhook_send_test": (OPERATOR, {}, True),
    "webhooks_webhook_reveal_secret": (ADMIN, {}, True),
    "webhooks_webhook_pause": (OPERATOR, {}, True),
    "webhooks_webhook_resume": (OPERATOR, {}, False),  # not paused: nothing to resume
    "webhooks_webhook_duplicate": (OPERATOR, {}, False),  # the copy's history says it
    "webhooks_webhook_redeliver_failed": (OPERATOR, {"since": "2026-01-01 00:00:00"}, True),
    "webhooks_webhook_try_now": (OPERATOR, {}, False),  # acts only when held: see below
    "webhooks_webhook_preview_existing": (OPERATOR, {}, False),
    "webhooks_webhook_preview": (OPERATOR, {}, False),
    "webhooks_webhook_resync": (OPERATOR, WINDOW, True),
    "webhooks_delivery_redeliver": (OPERATOR, {}, True),
    "webhooks_inboundsource_rotate_token": (ADMIN, {"overlap_s": "0"}, True),
    "webhooks_inboundrequest_replay": (OPERATOR, {}, False),  # a rejected request: refused
    "webhooks_inboundrequest_accept_anyway": (OPERATOR, {}, True),
    **{f"stations_{m}_recover": (OPERATOR, {}, True) for m in RECORDS},
}
STOCK_PAGES = {"changelist", "add", "change", "delete", "history"}


@pytest.fixture
def stations():
    return factories.StationFactory(name="Own FM"), factories.StationFactory(name="Other FM")


def _history(obj) -> list[str]:
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        ).values_list("change_message", flat=True)
    )


def test_the_matrix_covers_every_admin_url_and_action():
    """Every admin, its pages and its actions are in the tables (a new one must be added,
    stating who may use it)."""
    admins, actions, pages = set(), set(), set()
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        if model._meta.app_label in SYSTEM_APPS:
            continue
        admins.add(label)
        for func, name, _ in model_admin._get_base_actions():
            assert getattr(func, "allowed_permissions", None), f"{label} {name} declares none"
            actions.add((label, name))
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        for pattern in model_admin.get_urls():
            name = pattern.name or ""
            if name.removeprefix(prefix) not in STOCK_PAGES:
                pages.add(name)
    actions -= {(label, "delete_selected") for label in admins}  # as the model's delete
    assert admins == set(MODELS)
    assert actions == set(ACTIONS)
    assert pages - {""} == set(PAGES)  # "" : the stock redirect of /<pk>/ to /<pk>/change/


@pytest.mark.parametrize("role", RANKS)
@pytest.mark.parametrize("label", sorted(MODELS))
def test_stock_pages(label, role, stations, django_user_model, client):
    """List, add, change, delete, history: allowed (200) or forbidden (403) as the table
    says on the own station; another station's objects "do not exist" (a redirect)."""
    client = client_of(role, stations[0], django_user_model, client)
    view, add, change, delete = MODELS[label]
    app, model = label.split(".")
    own, other = (object_of(label, station) for station in stations)

    def status(page, *args):
        return client.get(reverse(f"admin:{app}_{model}_{page}", args=args)).status_code

    assert status("changelist") == (200 if may(role, view) else 403)
    assert status("add") == (200 if may(role, add) else 403)
    assert status("change", own.pk) == (200 if may(role, view) or may(role, change) else 403)
    assert status("history", own.pk) == (200 if may(role, view) else 403)
    assert status("delete", own.pk) == (200 if may(role, delete) else 403)
    if role == SUPERUSER:
        assert status("change", other.pk) == 200
    elif may(role, view):
        for page in ("change", "history", "delete"):
            assert status(page, other.pk) in (302, 403)  # doesn't exist, or forbidden
        listed = client.get(reverse(f"admin:{app}_{model}_changelist")).context["cl"]
        assert other.pk not in {row.pk for row in listed.result_list}


def _prepare(name: str, obj):
    """The state in which the action has something to do."""
    if name == "recover_selected":
        obj.delete()
    if name == "enable_webhooks":
        type(obj).objects.filter(pk=obj.pk).update(enabled=False)
    if name == "replay":
        type(obj).objects.filter(pk=obj.pk).update(outcome="accepted", status="processed")


@pytest.mark.parametrize("role", RANKS)
@pytest.mark.parametrize(("label", "name"), sorted(ACTIONS))
def test_actions(label, name, role, stations, django_user_model, client):
    """An action is offered and runs, writing a history entry, only to the roles the table
    names, and only on the own station's objects."""
    client = client_of(role, stations[0], django_user_model, client)
    app, model = label.split(".")
    changelist = reverse(f"admin:{app}_{model}_changelist")
    allowed = may(role, ACTIONS[(label, name)])
    for station in stations:
        obj = object_of(label, station)
        _prepare(name, obj)
        page = client.get(changelist)
        if not may(role, MODELS[label][0]):
            assert page.status_code == 403
        else:
            form = page.context["action_form"]  # None when no action is offered
            offered = {n for n, _ in form.fields["action"].choices} if form else set()
            assert (name in offered) == allowed
        also_deleted = "?deleted=all" if model in RECORDS else ""
        response = client.post(
            changelist + also_deleted, {"action": name, "_selected_action": [obj.pk]}
        )
        assert response.status_code < 500
        if name in FOLLOW_UPS and response.status_code == 302 and "?ids=" in response.url:
            client.post(response.url, FOLLOW_UPS[name])
        acted = allowed and (station == stations[0] or role == SUPERUSER)
        assert bool(_history(obj)) == acted, (station.name, _history(obj))


def _page_url(name: str, obj) -> str:
    if name == "webhooks_webhook_resync":
        return reverse(f"admin:{name}") + f"?ids={obj.pk}"
    if name == "webhooks_webhook_preview":
        return reverse(f"admin:{name}")
    return reverse(f"admin:{name}", args=[obj.pk])


@pytest.mark.parametrize("role", RANKS)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_own_pages(name, role, stations, django_user_model, client):
    """The pages behind the admins' buttons: 403 for roles the table leaves out, on both
    stations; for the others, on the own station they work (and write history when they
    act), on another station nothing is found (404) and nothing happens."""
    client = client_of(role, stations[0], django_user_model, client)
    least, data, acts = PAGES[name]
    app, model = name.split("_")[:2]
    label = f"{app}.{model}"
    for station in stations[:1] if name == "webhooks_webhook_preview" else stations:
        obj = object_of(label, station)
        if label == "webhooks.delivery":
            type(obj).objects.filter(pk=obj.pk).update(status="failed")
        if name.endswith("_recover"):
            obj.delete()
        url = _page_url(name, obj)
        get, post = client.get(url), client.post(url, data)
        own = station == stations[0] or role == SUPERUSER
        if not may(role, least) and (own or name == "webhooks_webhook_preview"):
            assert (get.status_code, post.status_code) == (403, 403)
        elif not own:
            assert post.status_code in (302, 404, 403)
        else:  # (the preview answers GET 405: it is posted by the form)
            assert get.status_code not in (403, 404) and get.status_code < 500
            assert post.status_code < 400
        assert bool(_history(obj)) == (acts and own and may(role, least)), _history(obj)


@pytest.mark.parametrize("role", RANKS)
def test_site_pages_show_only_own_station(role, stations, django_user_model, client):
    client = client_of(role, stations[0], django_user_model, client)
    for station in stations:
        factories.WebhookFactory(station=station, name=f"{station.name} hook")
    dashboard = client.get(reverse("admin:index"))
    assert dashboard.status_code == 200
    assert ("Other FM" in dashboard.content.decode()) == (role == SUPERUSER)
    assert client.get(reverse("admin:receiver_guide")).status_code == 200


def test_roles_are_groups_with_exactly_their_permissions():
    """The groups exist after migrate and hold what the module states: viewers only
    view_ permissions; operators no API keys or secrets; admins those too."""
    perms = {
        role: set(
            Group.objects.get(name=role).permissions.values_list(
                "content_type__app_label", "codename"
            )
        )
        for role in (VIEWER, OPERATOR, ADMIN)
    }
    assert all(codename.startswith("view_") for _, codename in perms[VIEWER])
    assert ("webhooks", "view_delivery") in perms[VIEWER]
    assert perms[VIEWER] < perms[OPERATOR] < perms[ADMIN]
    assert ("webhooks", "change_webhook") in perms[OPERATOR]
    assert ("stations", "change_apikey") not in perms[OPERATOR]
    assert ("stations", "manage_secrets") not in perms[OPERATOR]
    assert {("stations", "change_apikey"), ("stations", "manage_secrets")} <= perms[ADMIN]


def test_rotating_a_secret_shows_it_once_and_logs_it_without(stations, django_user_model, client):
    client = client_of(ADMIN, stations[0], django_user_model, client)
    webhook = factories.WebhookFactory(station=stations[0])
    response = client.post(
        reverse("admin:webhooks_webhook_changelist"),
        {"action": "rotate_secret", "_selected_action": [webhook.pk]},
        follow=True,
    )
    webhook.refresh_from_db()
    assert webhook.secret in response.content.decode()
    assert _history(webhook) == ["Rotated the secret."]
    history = client.get(reverse("admin:webhooks_webhook_history", args=[webhook.pk]))
    assert webhook.secret not in history.content.decode()


def test_operators_change_webhooks_but_not_their_secret(stations, django_user_model, client):
    """The webhook form offers setting and removing the secret and key only to those who
    manage secrets; an operator's form has no such field, and posting one changes nothing."""
    client = client_of(OPERATOR, stations[0], django_user_model, client)
    webhook = factories.WebhookFactory(station=stations[0])
    url = reverse("admin:webhooks_webhook_change", args=[webhook.pk])
    form = client.get(url).context["adminform"].form
    assert "new_secret" not in form.fields and "remove_key" not in form.fields
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {"station": stations[0].pk, "models": [], "new_secret": "whsec_" + "A" * 32}
    data |= {"remove_key": "on", "name": "renamed"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    changed = type(webhook).objects.get(pk=webhook.pk)
    assert changed.name == "renamed"
    assert (changed.secret, changed.key) == (webhook.secret, webhook.key)


@pytest.mark.parametrize("enabled", [True, False])
def test_send_test_event_on_a_disabled_webhook_says_so(enabled, admin_client):
    """The button and the bulk action on a disabled webhook: a message, not a 500."""
    webhook = factories.WebhookFactory(enabled=enabled)
    response = admin_client.post(
        reverse("admin:webhooks_webhook_send_test", args=[webhook.pk]), follow=True
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any("disabled" in m for m in shown) == (not enabled), shown
    response = admin_client.post(
        reverse("admin:webhooks_webhook_changelist"),
        {"action": "send_test_event", "_selected_action": [webhook.pk]},
    )
    assert response.status_code == 302


def test_list_edits_of_rows_the_model_refuses_show_errors(admin_client, settings):
    """Saving the list's "enabled" boxes when a listed URL no longer passes the target
    check, or with a row id that names nothing: errors on the page, not a 500."""
    webhook = factories.WebhookFactory(url="http://127.0.0.1:9/hook", enabled=True)
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    changelist = reverse("admin:webhooks_webhook_changelist")
    for row_id in (webhook.pk, 999999, "x"):
        response = admin_client.post(
            changelist,
            {
                "form-TOTAL_FORMS": "1",
                "form-INITIAL_FORMS": "1",
                "form-0-id": row_id,
                "_save": "Save",
            },
        )
        assert response.status_code in (200, 302), row_id
    assert type(webhook).objects.get(pk=webhook.pk).enabled
    policy = factories.AlertPolicyFactory()
    response = admin_client.post(
        reverse("admin:webhooks_alertpolicy_changelist"),
        {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": 999999, "_save": "1"},
    )
    assert response.status_code in (200, 302)
    assert type(policy).objects.count() == 1


def test_history_says_who_did_what(stations, django_user_model, client):
    client = client_of(OPERATOR, stations[0], django_user_model, client)
    webhook = factories.WebhookFactory(station=stations[0], enabled=False)
    client.post(
        reverse("admin:webhooks_webhook_changelist"),
        {"action": "enable_webhooks", "_selected_action": [webhook.pk]},
    )
    entry = LogEntry.objects.get(object_id=str(webhook.pk))
    assert (entry.user.username, entry.change_message) == ("user", "Enabled.")
    assert timezone.now() - entry.action_time < timedelta(minutes=5)


def test_operator_adding_a_source_without_its_secret_is_told(stations, django_user_model, client):
    """The operator's form has no secret field: the model's "enter its secret" shows as
    the form's own error (it was a 500: the error named a field the form lacks)."""
    client = client_of(OPERATOR, stations[0], django_user_model, client)
    response = client.post(
        reverse("admin:webhooks_inboundsource_add"),
        {"station": stations[0].pk, "name": "Studio", "kind": "xtra", "enabled": "on"}
        | {"max_body_bytes": "262144", "dedup_window_s": "86400", "auth": "hmac"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors == ["secret: This kind of source signs its requests: enter its secret."]
    assert not InboundSource.objects.exists()
