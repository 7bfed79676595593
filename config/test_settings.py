"""Settings for the test suite.

django-q2 reads Q_CLUSTER once at import, so `sync` cannot be switched on with
override_settings: tests that want tasks to run in-process use this module, where every
queued task runs synchronously inside the test. Tests with real `qcluster` processes
start them with config.settings and their own environment.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key")
os.environ.setdefault("WEBHOOKS_ALLOW_PRIVATE_TARGETS", "1")
# Every test client comes from 127.0.0.1: the failed-key limit gets its own tests
# (tests/test_api_key_failures.py) instead of counting the whole suite's wrong keys.
os.environ.setdefault("API_KEY_FAILURE_LIMIT", "1000000")
# Nothing processes later in sync mode: push messages are relayed as they arrive (the hold
# has tests of its own).
os.environ.setdefault("INBOUND_PUSH_HOLD_S", "0")

from config.settings import *  # noqa: F403
from config.settings import Q_CLUSTER

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
