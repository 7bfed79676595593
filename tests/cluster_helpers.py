"""Real `qcluster` processes for tests, pointed at the test database (which therefore must
be committed data: use transactional tests). The process handling itself is the
`processes` package's, shared with the benchmarks."""

import os
import subprocess

from django.conf import settings
from django.db import connection

import processes

__all__ = ["django_env", "start_cluster", "waiting_on_a_lock"]

CLUSTER_DEFAULTS = {
    "WEBHOOKS_REQUEST_TIMEOUT_S": "2",
    "WEBHOOKS_CONNECT_TIMEOUT_S": "1",
    "WEBHOOKS_DISPATCH_POLL_S": "0.2",
    "Q_WORKERS": "2",
}


def django_env(database_url: str | None = None, **extra_env: str) -> dict[str, str]:
    """The environment of a Django process working on this test's database (or on
    `database_url`) with this process's keys (or it could not decrypt webhook secrets),
    production settings, loopback targets allowed, the ORM broker."""
    if database_url is None:
        db = connection.settings_dict
        database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "SECRET_KEY": settings.SECRET_KEY,
        "STATIONHOOKS_ENCRYPTION_KEYS": ",".join(settings.STATIONHOOKS_ENCRYPTION_KEYS),
        "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    env.update(extra_env)
    return env


def start_cluster(**extra_env: str) -> subprocess.Popen:
    """A cluster of two workers with short timeouts, so crashes are over quickly."""
    return processes.start_cluster(django_env(**{**CLUSTER_DEFAULTS, **extra_env}))


def waiting_on_a_lock(table: str) -> bool:
    """Whether a session (a worker's) waits on a lock to INSERT INTO `table` (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query ILIKE %s",
            [f'%INSERT INTO "{table}"%'],
        )
        return cursor.fetchone()[0] > 0
