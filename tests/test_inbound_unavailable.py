"""When the hub's own database fails, the inbound gateway answers 503 with Retry-After (so
the sender tries again), never a 202 for a request it did not keep, never a 500."""

import psycopg
import pytest
import requests
from django.db import connection

import processes
from tests.cluster_helpers import django_env
from tests.factories import InboundSourceFactory
from tests.inbound_helpers import XTRA_NEWTRACK, as_bytes, post, xtra_headers
from webhooks.models import InboundRequest

SERVER_START_S = 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_request_that_cannot_be_kept_is_503(client):
    # given a source, and the request table locked by someone else past our lock timeout
    source = InboundSourceFactory(secret="xtra-shared-secret-1")
    body = as_bytes(XTRA_NEWTRACK)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '200ms'")
    blocker = psycopg.connect(**connection.get_connection_params())
    try:
        blocker.execute(f"LOCK TABLE {InboundRequest._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        # when
        response = post(client, source, body, xtra_headers(body, "xtra-shared-secret-1"))
    finally:
        blocker.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    # then
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response.json() == {"detail": "Temporarily unable to accept requests; try again."}
    assert not InboundRequest.objects.exists()
    # and once the database is back, the sender's retry is accepted
    assert post(client, source, body, xtra_headers(body, "xtra-shared-secret-1")).status_code == 202


@pytest.mark.slow
def test_a_web_process_whose_database_is_down_answers_503(tmp_path):
    # given a web server whose database does not answer
    port, dead_port = processes.free_port(), processes.free_port()
    env = django_env(f"postgres://postgres@127.0.0.1:{dead_port}/nothing")
    server = processes.start_gunicorn(env, port=port, log_path=tmp_path / "web.log")
    try:
        processes.wait_for_port(port, SERVER_START_S)
        # when a vendor posts to an ingest URL
        response = requests.post(
            f"http://127.0.0.1:{port}/in/{'t' * 43}/",
            data=b"{}",
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
    finally:
        processes.stop_group(server, grace_s=5)
    # then it is told to come back
    assert response.status_code == 503, (tmp_path / "web.log").read_text()
    assert response.headers["Retry-After"] == "10"
