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
