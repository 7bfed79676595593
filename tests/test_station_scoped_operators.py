"""Operators who are not superusers see and change only their stations' data, webhooks,
deliveries, policies and keys — every list, detail, action, form choice and autocomplete."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from stations.models import Program
from tests.factories import (
    AlertPolicyFactory,
    ApiKeyFactory,
    ProgramFactory,
    StationFactory,
    StreamFactory,
    WebhookFactory,
)
from tests.webhook_helpers import publish_track_unqueued
from webhooks.models import Delivery, ResyncJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def stations():
    return StationFactory(name="Own FM"), StationFactory(name="Other FM")


@pytest.fixture
def operator_client(client, django_user_model, stations):
    own, _ = stations
    user = django_user_model.objects.create_user("operator", password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["stations", "webhooks"])
    )
    own.operators.add(user)
    client.force_login(user)
    return client


@pytest.fixture
def data(stations):
    own, other = stations
    made = {}
    for name, station in (("own", own), ("other", other)):
        webhook = WebhookFactory(station=station, name=f"{name} hook", event_type="push")
        made[name] = {
            "program": ProgramFactory(station=station, title=f"{name} show"),
            "webhook": webhook,
            "delivery": publish_track_unqueued(webhook).deliveries.get(),
            "stream": StreamFactory(station=station, name=f"{name} stream"),
            "policy": AlertPolicyFactory(station=station, name=f"{name} policy"),
            "key": ApiKeyFactory(station=station, name=f"{name} key"),
        }
    return made


@pytest.mark.parametrize(
    "changelist",
    [
        "stations_station",
        "stations_program",
        "stations_stream",
        "stations_apikey",
        "webhooks_webhook",
        "webhooks_delivery",
        "webhooks_alertpolicy",
    ],
)
def test_lists_and_their_filters_show_only_own_stations(operator_client, data, changelist):
    page = operator_client.get(reverse(f"admin:{changelist}_changelist")).content.decode()
    assert "Other FM" not in page and "other " not in page
    listed = operator_client.get(reverse(f"admin:{changelist}_changelist")).context["cl"]
    assert listed.result_count >= 1


@pytest.mark.parametrize(
    ("admin_name", "key"),
    [
        ("stations_program", "program"),
        ("stations_stream", "stream"),
        ("webhooks_webhook", "webhook"),
        ("webhooks_delivery", "delivery"),
        ("webhooks_alertpolicy", "policy"),
        ("stations_apikey", "key"),
    ],
)
def test_other_stations_objects_are_out_of_reach(operator_client, data, admin_name, key):
    own = operator_client.get(reverse(f"admin:{admin_name}_change", args=[data["own"][key].pk]))
    other = operator_client.get(
        reverse(f"admin:{admin_name}_change", args=[data["other"][key].pk]), follow=True
    )
    assert own.status_code == 200
    assert other.redirect_chain[-1][0] == reverse("admin:index")  # "doesn't exist"


def test_actions_on_other_stations_objects_do_nothing(operator_client, data):
    other_program = data["other"]["program"]
    operator_client.post(
        reverse("admin:stations_program_changelist"),
        {"action": "delete_selected", "_selected_action": [other_program.pk], "post": "yes"},
    )
    assert Program.objects.filter(pk=other_program.pk).exists()
    Delivery.objects.update(status="failed")
    operator_client.post(
        reverse("admin:webhooks_delivery_redeliver", args=[data["other"]["delivery"].pk])
    )
    assert Delivery.objects.get(pk=data["other"]["delivery"].pk).status == "failed"
    response = operator_client.post(
        reverse("admin:webhooks_webhook_resync") + f"?ids={data['other']['webhook'].pk}",
        {"window_start": "2026-02-02 00:00:00", "window_end": "2026-02-09 00:00:00"},
    )
    assert response.status_code == 302 and not ResyncJob.objects.exists()


def test_forms_offer_only_own_stations_and_refuse_others(operator_client, data, stations):
    own, other = stations
    add = operator_client.get(reverse("admin:webhooks_webhook_add"))
    assert list(add.context["adminform"].form.fields["station"].queryset) == [own]
    response = operator_client.post(
        reverse("admin:stations_program_add"),
        {"station": other.pk, "title": "Sneaky", "field_values": "{}"},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Program.objects.filter(title="Sneaky").exists()


def test_autocomplete_and_dashboard_stay_within_own_stations(operator_client, data):
    found = operator_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "stations",
            "model_name": "broadcast",
            "field_name": "program",
            "term": "show",
        },
    ).json()["results"]
    assert [r["text"] for r in found] == ["own show"]
    dashboard = operator_client.get(reverse("admin:index")).content.decode()
    assert "Own FM" in dashboard and "Other FM" not in dashboard


def test_operators_cannot_assign_themselves_stations(operator_client, stations):
    own, _ = stations
    page = operator_client.get(reverse("admin:stations_station_change", args=[own.pk]))
    assert "operators" in page.context["adminform"].readonly_fields
