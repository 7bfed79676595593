"""Django's system checks, database checks included (as `migrate` runs them), are clean:
a start prints no warning an operator has to learn to ignore."""

import pytest
from django.core import checks


@pytest.mark.django_db
def test_no_system_check_warns():
    found = checks.run_checks(databases=["default"], include_deployment_checks=False)
    assert [
        f"{m.id}: {m.msg}" for m in found if m.level >= checks.WARNING and not m.is_silenced()
    ] == []
