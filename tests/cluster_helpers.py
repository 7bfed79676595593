"""Real `qcluster` processes for tests, pointed at the test database (which therefore must
be committed data: use transactional tests)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

PROJECT_DIR = Path(__file__).resolve().parent.parent


def start_cluster(**extra_env: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        # the same keys as this process, or the cluster cannot decrypt webhook secrets
        "SECRET_KEY": settings.SECRET_KEY,
        "STATIONHOOKS_ENCRYPTION_KEYS": ",".join(settings.STATIONHOOKS_ENCRYPTION_KEYS),
        "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1",
        "WEBHOOKS_REQUEST_TIMEOUT_S": "2",
        "WEBHOOKS_CONNECT_TIMEOUT_S": "1",
        "WEBHOOKS_SEND_BUDGET_S": "2",
        "WEBHOOKS_DISPATCH_POLL_S": "0.2",
        "Q_WORKERS": "2",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    env.update(extra_env)
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=PROJECT_DIR,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_cluster(cluster: subprocess.Popen) -> None:
    """SIGKILL every process of the cluster at once: the crash under test."""
    try:
        os.killpg(cluster.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    cluster.wait(timeout=30)


def stop_cluster(cluster: subprocess.Popen) -> None:
    """SIGTERM to the main process only, as an init system would; it stops its children."""
    cluster.terminate()
    try:
        cluster.wait(timeout=30)
    finally:
        kill_cluster(cluster)


def wait_for(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
