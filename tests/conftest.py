import pytest
from django.db import connection


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
