import os

import pytest
from django.db import connection
from hypothesis import settings as hypothesis_settings

# Property tests assert no timings: Hypothesis's per-example deadline (200 ms) fails them
# on a loaded machine for nothing the code did.
hypothesis_settings.register_profile("stationhooks", deadline=None)
hypothesis_settings.load_profile("stationhooks")


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` are skipped when the suite runs on SQLite."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def capture_on_commit(django_capture_on_commit_callbacks):
    """Shorter name for pytest-django's on_commit capturer."""
    return django_capture_on_commit_callbacks


@pytest.fixture
def queue_not_sync(monkeypatch):
    """django-q2 as in production: tasks go to the ORM broker's table (the test settings
    run them at once)."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    assert Conf.ORM == "default"


@pytest.fixture(params=["orm", "redis"])
def broker_env(request):
    """The environment of a real cluster, once for each broker (Redis only when
    REDIS_TEST_URL names a database to use)."""
    if request.param == "orm":
        return {}
    redis_url = os.environ.get("REDIS_TEST_URL")
    if not redis_url:
        pytest.skip("set REDIS_TEST_URL to test the Redis broker")
    return {"REDIS_URL": redis_url}


@pytest.fixture
def api_key(db):
    from tests.factories import ApiKeyFactory

    return ApiKeyFactory(station__name="Radio Example")


@pytest.fixture
def api_client(api_key):
    """A DRF test client that sends `api_key` in the `api-key` header."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_API_KEY=api_key.raw_key)
    return client
