"""Station data never depends on the webhooks app: it sends domain signals, inside the
transaction of each change, and webhooks/receivers.py turns them into events."""

import ast
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from stations import monitor
from stations.choices import CheckSource
from stations.inbound import track_play_record
from stations.models import StreamCheck, TrackPlay
from stations.signals import stream_checked
from tests.factories import StationFactory, StreamFactory, WebhookFactory
from webhooks.event_types import NEWTRACK
from webhooks.models import Event

STATIONS = Path(__file__).resolve().parent.parent / "stations"


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_no_module_of_stations_imports_webhooks():
    offenders = {
        str(path.relative_to(STATIONS.parent)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] == "webhooks"
        )
        for path in sorted(STATIONS.rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}


@pytest.mark.django_db
def test_a_check_is_announced_with_the_streams_new_state():
    # given a listener standing in for the webhooks app
    heard = []

    def listener(sender, stream, check, **_kwargs):
        heard.append((stream.is_up, check.reason, StreamCheck.objects.filter(pk=check.pk).exists()))

    stream = StreamFactory()
    stream_checked.connect(listener)
    try:
        # when
        monitor.record_check(
            stream_id=stream.pk,
            result=monitor.CheckResult(is_up=False, reason="HTTP 503"),
            source=CheckSource.MONITOR,
            checked_at=timezone.now(),
        )
    finally:
        stream_checked.disconnect(listener)
    # then the listener ran with the check already written, in its transaction
    assert heard == [(False, "HTTP 503", True)]


@pytest.mark.django_db(transaction=True)
def test_what_a_receiver_writes_rolls_back_with_the_change():
    station = StationFactory()
    WebhookFactory(station=station, event_type=NEWTRACK.name)
    with pytest.raises(RuntimeError), transaction.atomic():
        track_play_record(station=station, title="Hey Jude")
        assert Event.objects.count() == 1  # written by the receiver, in this transaction
        raise RuntimeError("the request fails after the report")
    assert not TrackPlay.objects.exists() and not Event.objects.exists()
