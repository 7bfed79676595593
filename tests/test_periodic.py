"""Periodic jobs are declared next to their code; every migrate makes django-q2's
schedules match, so renaming or re-timing a job needs no migration."""

import pytest
from django_q.models import Schedule

from config.periodic import declared_jobs, sync_schedules

pytestmark = pytest.mark.django_db


def schedules() -> dict[str, tuple]:
    return {s.func: (s.name, s.schedule_type, s.minutes, s.repeats) for s in Schedule.objects.all()}


def test_after_migrate_every_declared_job_has_its_schedule():
    assert schedules() == {
        "stations.tasks.run_stream_monitor": ("Check monitored streams", "I", 1, -1),
        "webhooks.tasks.drain_due_deliveries": ("Sweep due and stuck deliveries", "I", 1, -1),
        "webhooks.tasks.evaluate_alert_policies": ("Evaluate alert policies", "I", 1, -1),
        "webhooks.tasks.prune_delivery_log": ("Prune the delivery log", "H", None, -1),
        "webhooks.tasks.prune_inbound_log": ("Prune the inbound log", "H", None, -1),
    }
    assert len(declared_jobs()) == 5


def test_sync_undoes_drift_and_drops_jobs_no_longer_declared():
    # given: a job re-timed by hand, one renamed in code, one doubled
    Schedule.objects.filter(func="stations.tasks.run_stream_monitor").update(minutes=5)
    Schedule.objects.create(func="webhooks.tasks.drain_old_name", schedule_type="I", minutes=1)
    Schedule.objects.create(func="webhooks.tasks.prune_delivery_log", schedule_type="D")
    Schedule.objects.create(func="math.floor", name="Someone else's", schedule_type="D")
    expected = {**schedules(), "math.floor": ("Someone else's", "D", None, -1)}
    del expected["webhooks.tasks.drain_old_name"]
    expected["stations.tasks.run_stream_monitor"] = ("Check monitored streams", "I", 1, -1)
    expected["webhooks.tasks.prune_delivery_log"] = ("Prune the delivery log", "H", None, -1)
    # when
    sync_schedules()
    # then
    assert schedules() == expected
    assert Schedule.objects.filter(func="webhooks.tasks.prune_delivery_log").count() == 1
