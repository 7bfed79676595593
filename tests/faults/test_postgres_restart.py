"""Fault: PostgreSQL restarts (fast shutdown: every session is cut) while deliveries flow
and the REST API takes writes. A private, throwaway server is used, never the shared one.

A real `qcluster` and a real web process (`runserver`) run against it; neither is
restarted. After the database is back, the web process must answer writes again and the
workers must finish every delivery: none lost, every API change with exactly its push
message (no change without its event, no event without its change)."""

import json
import os
import pwd
import subprocess
import sys
import threading
import time
from collections import Counter

import psycopg
import pytest
import requests

from processes import PROJECT_DIR, free_port, start_manage, stop_group, wait_for
from tests.cluster_helpers import django_env, start_cluster
from tests.faults.chaos_receiver import ChaosReceiver
from tests.faults.private_postgres import PrivatePostgres, find_server_binaries
from tests.faults.runs import print_summary

pytestmark = [pytest.mark.postgres, pytest.mark.faults, pytest.mark.slow]

DATABASE = "stationhooks"
MESSAGES = 1500
RESTART_AFTER_SHARE = 0.2
API_WRITE_INTERVAL_S = 0.05
API_WRITES_MAX = 600
# a lease (request timeout + 5 s = 13 s) well beyond the restart, so what was in flight
# when the database went down is still leased right after it is back
CLUSTER_ENV = {"WEBHOOKS_REQUEST_TIMEOUT_S": "8"}
RUNSERVER_OPTIONS = ["--noreload", "--nothreading"]


@pytest.fixture
def private_postgres():
    bin_dir = find_server_binaries()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin")
    if os.geteuid() == 0 and not _user_exists("postgres"):
        pytest.skip("running as root, and there is no postgres user to run initdb as")
    server = PrivatePostgres.create(bin_dir)
    try:
        server.start()
        server.create_database(DATABASE)
        yield server
    finally:
        server.destroy()


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def run_manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def start_web(env: dict[str, str], port: int) -> subprocess.Popen:
    """One web process with one thread: its persistent connection must survive the restart."""
    return start_manage(
        ["runserver", f"127.0.0.1:{port}", *RUNSERVER_OPTIONS], {**env, "DEBUG": "0"}
    )


class ApiWriter(threading.Thread):
    """Creates programs through the REST API, one request per API_WRITE_INTERVAL_S, and
    records each outcome: (monotonic time, HTTP status or None, id of the program)."""

    def __init__(self, base_url: str, api_key: str) -> None:
        super().__init__(name="api-writer", daemon=True)
        self.url = f"{base_url}/api/v1/programs/"
        self.headers = {"api-key": api_key}
        self.outcomes: list[tuple[float, int | None, int | None]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        for n in range(API_WRITES_MAX):
            if self.stopping.wait(API_WRITE_INTERVAL_S):
                return
            try:
                response = requests.post(
                    self.url, json={"title": f"Show {n}"}, headers=self.headers, timeout=5
                )
            except requests.RequestException:
                self.outcomes.append((time.monotonic(), None, None))
                continue
            created = response.json()["id"] if response.status_code == 201 else None
            self.outcomes.append((time.monotonic(), response.status_code, created))

    def created_since(self, moment: float) -> int:
        return sum(1 for at, status, _ in list(self.outcomes) if at > moment and status == 201)


def query(database_url: str, sql: str) -> list[tuple]:
    with psycopg.connect(database_url, connect_timeout=5) as connection:
        return connection.execute(sql).fetchall()


def unfinished(database_url: str) -> int:
    return query(
        database_url,
        "SELECT count(*) FROM webhooks_delivery WHERE status NOT IN ('delivered', 'failed')",
    )[0][0]


LEASED_NOW = """
    SELECT e.message_id FROM webhooks_delivery d JOIN webhooks_event e ON e.id = d.event_id
    WHERE d.status = 'pending' AND d.lease_expires_at > now()
"""


def test_a_database_restart_mid_run_loses_nothing(private_postgres):
    database_url = private_postgres.url(DATABASE)
    env = django_env(database_url, API_THROTTLE_RATE="100000/min")
    web_port = free_port()
    with ChaosReceiver(handling_s=0.005) as receiver:
        # given a migrated private database with 1,500 committed deliveries and an API key
        run_manage(env, "manage.py", "migrate", "--noinput")
        seeded = json.loads(
            run_manage(env, "-m", "tests.faults.seed_database", receiver.url, str(MESSAGES))
        )
        cluster = start_cluster(**CLUSTER_ENV, DATABASE_URL=database_url)
        web = start_web(env, web_port)
        base_url = f"http://127.0.0.1:{web_port}"
        writer = ApiWriter(base_url, seeded["api_key"])
        try:
            assert wait_for(lambda: _answers(base_url, seeded["api_key"]), 30), "web down"
            writer.start()

            # when the database restarts while deliveries flow and the API takes writes
            assert wait_for(
                lambda: receiver.requests_served() >= MESSAGES * RESTART_AFTER_SHARE, 60
            ), "deliveries never started"
            served_before = receiver.requests_served()
            restart_started = time.monotonic()
            private_postgres.restart()
            restarted = time.monotonic()
            in_flight = {row[0] for row in query(database_url, LEASED_NOW)}

            # then the web process takes writes again, and the workers finish every delivery
            web_back = wait_for(lambda: writer.created_since(restarted) >= 5, 30)
            writer.stopping.set()
            writer.join(timeout=10)
            finished = wait_for(lambda: not unfinished(database_url), 90)
            assert cluster.poll() is None and web.poll() is None, "a process died"
        finally:
            writer.stopping.set()
            stop_group(cluster, grace_s=10)
            stop_group(web, grace_s=10)

        assert served_before < MESSAGES / 2, "the run was nearly over before the restart"
        assert web_back, f"the web process did not reconnect: {writer.outcomes[-5:]}"
        deliveries = query(
            database_url,
            "SELECT e.message_id, d.status FROM webhooks_delivery d "
            "JOIN webhooks_event e ON e.id = d.event_id",
        )
        assert finished, Counter(status for _, status in deliveries)
        assert {status for _, status in deliveries} == {"delivered"}
        sent_after_restart = sum(
            1 for served in receiver.served.values() for s in served if s.arrived_at > restarted
        )
        assert sent_after_restart > 0, "the workers did not reconnect"
        message_ids = {message_id for message_id, _ in deliveries}
        lost = len(message_ids - set(receiver.served))
        assert lost == 0 and set(receiver.served) == message_ids

        # every API change has its push message and every push message its change
        programs = {row[0] for row in query(database_url, "SELECT id FROM stations_program")}
        creates = Counter(
            json.loads(body)["model_id"]
            for (body,) in query(
                database_url, "SELECT body FROM webhooks_event WHERE event_type='push'"
            )
        )
        assert creates == Counter(programs), "a change without its event or an event without"
        answered_created = {created for _, status, created in writer.outcomes if status == 201}
        assert answered_created <= programs
        resent = {i for i, served in receiver.served.items() if len(served) > 1}
        assert resent <= in_flight, "a message was sent twice though it was not in flight"

        attempts = query(database_url, "SELECT count(*) FROM webhooks_deliveryattempt")[0][0]
        requests_served = receiver.requests_served()
        failed_writes = sum(1 for _, status, _ in writer.outcomes if status != 201)
        print_summary(
            "postgres_restart",
            deliveries=len(deliveries),
            attempts=attempts,
            lost=lost,
            duplicates=requests_served - len(receiver.served),
            api_writes=len(writer.outcomes),
            api_writes_failed=failed_writes,
            restart_s=f"{restarted - restart_started:.2f}",
            in_flight_at_restart=len(in_flight),
        )


def _answers(base_url: str, api_key: str) -> bool:
    try:
        response = requests.get(
            f"{base_url}/api/v1/programs/", headers={"api-key": api_key}, timeout=5
        )
    except requests.RequestException:
        return False
    return response.status_code == 200
