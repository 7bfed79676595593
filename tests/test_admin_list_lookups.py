"""A list page's query string may name any field lookup; a value the database layer cannot
turn into SQL (year 0 of a date) is refused like any bad filter ("?e=1"), never a 500."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("changelist", "lookup"),
    [
        ("webhooks_alertpolicy", "created_at__year=0"),
        ("webhooks_delivery", "created_at__year=0"),
        ("webhooks_inboundrequest", "received_at__year=0"),
        ("stations_program", "created_at__year=0"),
        ("stations_broadcast", "start__year=0"),
    ],
)
def test_a_lookup_value_sql_cannot_hold_is_refused(admin_client, changelist, lookup):
    response = admin_client.get(f"{reverse(f'admin:{changelist}_changelist')}?{lookup}")
    assert response.status_code == 302
    assert response.url.endswith("?e=1")
    # and a valid value of the same lookup still lists
    valid = lookup.replace("=0", "=2026")
    assert (
        admin_client.get(f"{reverse(f'admin:{changelist}_changelist')}?{valid}").status_code == 200
    )
