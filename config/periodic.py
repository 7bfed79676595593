"""Periodic jobs, declared where the job is written:

    @periodic("Check monitored streams", minutes=1)
    def run_stream_monitor() -> str: ...

django-q2 runs periodic jobs from its Schedule rows; `sync_schedules`, run after every
`migrate` (post_migrate), makes those rows match the declarations: one row per declared
job, keyed by the job's dotted path, with its name and interval; rows of our task modules
that nothing declares any more (a job renamed or removed) are deleted. So the code is
the source of truth, and renaming or re-timing a job needs no migration. (The data
migrations that created the first schedules stay runnable; the sync corrects what they
wrote.)
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models.signals import post_migrate

__all__ = ["PeriodicJob", "declared_jobs", "periodic", "sync_schedules"]

logger = logging.getLogger("stationhooks.periodic")


@dataclass(frozen=True)
class PeriodicJob:
    func: str
    name: str
    minutes: int | None = None
    hourly: bool = False

    @property
    def module(self) -> str:
        return self.func.rpartition(".")[0]


_declared: dict[str, PeriodicJob] = {}


def periodic(name: str, *, minutes: int | None = None, hourly: bool = False) -> Callable:
    """Declare the decorated function a job run every `minutes`, or every hour."""
    if (minutes is None) == (not hourly):
        raise ValueError("Give either minutes or hourly=True.")

    def declare(function: Callable) -> Callable:
        func = f"{function.__module__}.{function.__qualname__}"
        _declared[func] = PeriodicJob(func=func, name=name, minutes=minutes, hourly=hourly)
        return function

    return declare


def declared_jobs() -> list[PeriodicJob]:
    return list(_declared.values())


def sync_schedules(sender=None, **_signal_kwargs) -> None:
    """Make django-q2's Schedule rows match the declared jobs (see the module docstring).
    As a post_migrate receiver it acts once per migrate, for django-q2's app."""
    if sender is not None and sender.name != "django_q":
        return
    from django_q.models import Schedule

    for job in _declared.values():
        rows = list(Schedule.objects.filter(func=job.func).order_by("pk"))
        row = rows[0] if rows else Schedule(func=job.func)
        Schedule.objects.filter(pk__in=[extra.pk for extra in rows[1:]]).delete()
        row.name = job.name
        row.schedule_type = Schedule.HOURLY if job.hourly else Schedule.MINUTES
        row.minutes = job.minutes
        row.repeats = -1
        row.save()
    modules = {job.module for job in _declared.values()}
    for row in Schedule.objects.exclude(func__in=list(_declared)):
        if row.func.rpartition(".")[0] in modules:
            logger.info("Removing the schedule %r: no job %s is declared", row.name, row.func)
            row.delete()


post_migrate.connect(sync_schedules, dispatch_uid="stationhooks-sync-schedules")
