"""POST /api/v1/streams/{uuid}/status/: external monitors feed the alert policies."""

import json

import pytest

from tests.factories import AlertPolicyFactory, StreamFactory, WebhookFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def test_a_down_report_alerts_and_an_up_report_recovers(
    api_client, api_key, httpserver, capture_on_commit
):
    # given a policy with no grace period and a contact webhook
    station = api_key.station
    stream = StreamFactory(station=station, name="Stream 1")
    httpserver.expect_request("/hook").respond_with_data("ok")
    contact = WebhookFactory(
        station=station, event_type="stream.alert", url=httpserver.url_for("/hook")
    )
    AlertPolicyFactory(station=station, contacts=[contact])
    url = f"/api/v1/streams/{stream.uuid}/status/"
    # when an external monitor reports it down, then up
    with capture_on_commit(execute=True):
        down = api_client.post(url, {"status": "down", "reason": "no audio"}, format="json")
    with capture_on_commit(execute=True):
        up = api_client.post(url, {"status": "up"}, format="json")
    # then
    assert down.status_code == 200 and down.json()["status"] == "down"
    assert up.json() == {
        "id": str(stream.uuid),
        "name": "Stream 1",
        "status": "up",
        "silence": None,
        "checked_at": up.json()["checked_at"],
    }
    alerts = [json.loads(request.get_data()) for request, _ in httpserver.log]
    assert [a["event"]["type"] for a in alerts] == ["down", "up"]
    assert alerts[0]["event"]["stream"]["id"] == str(stream.uuid)
    assert stream.checks.get(reason="no audio").source == "external"


def test_bad_reports_get_clear_errors(api_client, api_key):
    stream = StreamFactory(station=api_key.station)
    other = StreamFactory()
    assert (
        api_client.post(
            f"/api/v1/streams/{stream.uuid}/status/", {"status": "sideways"}, format="json"
        ).status_code
        == 400
    )
    assert (
        api_client.post(
            "/api/v1/streams/not-a-uuid/status/", {"status": "up"}, format="json"
        ).status_code
        == 404
    )
    denied = api_client.post(
        f"/api/v1/streams/{other.uuid}/status/", {"status": "up"}, format="json"
    )
    assert denied.status_code == 403
    assert not Event.objects.exists()
