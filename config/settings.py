"""StationHooks settings, read from the environment.

Every variable is listed in the README's configuration table. Defaults give the embedded
setup (`make run`): SQLite in WAL mode and django-q2's ORM broker on the same database.
"""

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.admin_theme import UNFOLD  # noqa: F401  (the admin's theme and sidebar)
from config.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Behind a TLS-terminating proxy (HTTPS=1): secure cookies, HSTS, redirect to https, and
# trust the proxy's X-Forwarded-Proto. `manage.py check --deploy` is clean with it.
HTTPS = env_bool("HTTPS", False)
if HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_REDIRECT_EXEMPT = [r"^admin/metadata$"]  # Icecast clients speak plain HTTP

INSTALLED_APPS = [
    # The admin's theme, before the admin, whose templates it replaces; the admin itself
    # runs the hub's site (dashboard home page, receiver guide).
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "webhooks.apps.HubAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "stations",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "stations.api.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "stations.actors.ActorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Content-Security-Policy (django-csp) on every page: scripts and styles only from this
# server (no CDN: everything is served offline), no inline script, no eval, no inline
# style attribute; the few inline <style> elements carry the request's nonce. The admin
# runs Alpine.js's CSP build for that (see README, Security).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database_from_url(url: str) -> dict:
    """Persistent, health-checked connections; SQLite tuned for a web + worker pair.

    WAL lets readers and one writer work at once; IMMEDIATE transactions take the write
    lock up front so two processes never deadlock upgrading a read lock, and the busy
    timeout makes a writer wait instead of failing with "database is locked".
    """
    config = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = None
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": SQLITE_BUSY_TIMEOUT_S,
        }
    return config


SQLITE_BUSY_TIMEOUT_S = env_int("SQLITE_BUSY_TIMEOUT_S", 30)
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'stationhooks.sqlite3'}")
DATABASES = {"default": _database_from_url(DATABASE_URL)}
# The delivery log's covering indexes (`include=`) are PostgreSQL's; SQLite builds them
# without the extra columns, which is all it needs, so its warning about them is noise.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# After logging in without a `next` page (the theme's login form has none): the dashboard.
LOGIN_REDIRECT_URL = "/admin/"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Ingest URLs carry their source's token: never in the logs.
    "filters": {"ingest_tokens": {"()": "webhooks.gateway.tokens.RedactIngestTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["ingest_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- django-q2 -------------------------------------------------------------------------
# Our Delivery rows are the record of every send; django-q2 only runs the work, so it
# keeps no success results (save_limit=-1: each saved result costs a reload of the table)
# and never re-runs a failed task by itself (max_attempts=1; retries are our own rows).
# `retry` (redelivery of a task whose worker vanished) must exceed `timeout` plus queue
# wait, or a slow task would run twice. The cluster takes only as many tasks off the queue
# as it has workers (queue_limit, bulk): the rest stay visible as waiting, which lets a
# publisher skip queueing another send task (webhooks.queueing).
REDIS_URL = env_str("REDIS_URL", "")
Q_WORKERS = env_int("Q_WORKERS", 2)
Q_CLUSTER = {
    "name": "stationhooks",
    "workers": Q_WORKERS,
    "timeout": env_int("Q_TIMEOUT_S", 120),
    "retry": env_int("Q_RETRY_S", 300),
    "max_attempts": 1,
    "ack_failures": True,
    "save_limit": -1,
    "recycle": 100_000,
    "catch_up": False,
    "queue_limit": Q_WORKERS,
    "bulk": 1,
    "poll": 0.1,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- StationHooks ----------------------------------------------------------------------
STATIONHOOKS_VERSION = "0.1.0"
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)
WEBHOOKS_REQUEST_TIMEOUT_S = env_float("WEBHOOKS_REQUEST_TIMEOUT_S", 30.0)
WEBHOOKS_CONNECT_TIMEOUT_S = env_float("WEBHOOKS_CONNECT_TIMEOUT_S", 5.0)
WEBHOOKS_RETRY_DELAYS_S = [int(s) for s in env_list("WEBHOOKS_RETRY_DELAYS_S", ["10", "60", "300"])]
WEBHOOKS_AUTO_DISABLE_AFTER = env_int("WEBHOOKS_AUTO_DISABLE_AFTER", 20)
WEBHOOKS_RETENTION_DAYS = env_int("WEBHOOKS_RETENTION_DAYS", 30)
# The inbound gateway's log (every request the sources sent), pruned the same way.
INBOUND_RETENTION_DAYS = env_int("INBOUND_RETENTION_DAYS", 30)
WEBHOOKS_SECRET_GRACE_S = env_int("WEBHOOKS_SECRET_GRACE_S", 24 * 3600)
STATIONHOOKS_ENCRYPTION_KEYS = env_list("STATIONHOOKS_ENCRYPTION_KEYS", [])
# The delivery engine (webhooks.engine): how many sends one worker process keeps in flight
# at most, how many deliveries of one endpoint are in flight at once across every worker
# (more for an endpoint whose last attempts were all answered within a second), and the
# endpoints' circuit breakers (webhooks.breaker).
WEBHOOKS_MAX_IN_FLIGHT = env_int("WEBHOOKS_MAX_IN_FLIGHT", 500)
WEBHOOKS_ENDPOINT_MAX_IN_FLIGHT = env_int("WEBHOOKS_ENDPOINT_MAX_IN_FLIGHT", 16)
WEBHOOKS_QUICK_ENDPOINT_MAX_IN_FLIGHT = env_int("WEBHOOKS_QUICK_ENDPOINT_MAX_IN_FLIGHT", 200)
WEBHOOKS_BREAKER_THRESHOLD = env_int("WEBHOOKS_BREAKER_THRESHOLD", 5)
WEBHOOKS_BREAKER_COOLDOWN_S = env_float("WEBHOOKS_BREAKER_COOLDOWN_S", 30.0)
WEBHOOKS_BREAKER_MAX_COOLDOWN_S = env_float("WEBHOOKS_BREAKER_MAX_COOLDOWN_S", 1800.0)
# The addresses of the services some destination formats talk to (webhooks/formats/):
# Telegram's Bot API and TuneIn's AIR now-playing endpoint. Tests point them at fakes.
WEBHOOKS_TELEGRAM_API_URL = env_str("WEBHOOKS_TELEGRAM_API_URL", "https://api.telegram.org")
WEBHOOKS_TUNEIN_AIR_URL = env_str(
    "WEBHOOKS_TUNEIN_AIR_URL", "http://air.radiotime.com/Playing.ashx"
)
# Bearer token that /metrics (Prometheus) asks for; empty turns the endpoint off.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# How often each worker's due-time poller looks for due deliveries (webhooks.due_poller). On
# PostgreSQL a publish wakes it at once (NOTIFY), so the timer only paces retries; SQLite
# has no NOTIFY, and there the timer is also how soon a fresh delivery is picked up.
_ON_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
WEBHOOKS_DISPATCH_POLL_S = env_float("WEBHOOKS_DISPATCH_POLL_S", 0.1 if _ON_SQLITE else 1.0)

# The inbound gateway (webhooks.gateway): RadioManager push messages wait this long after
# they arrive, so those arriving out of order within it are relayed in job_id order.
INBOUND_PUSH_HOLD_S = env_float("INBOUND_PUSH_HOLD_S", 2.0)

# Stream monitor (stations.monitor): a minutely django-q2 schedule checks each monitored
# stream once per interval, like a listener, and evaluates the alert policies.
STREAM_MONITOR_INTERVAL_S = env_int("STREAM_MONITOR_INTERVAL_S", 60)
STREAM_MONITOR_TIMEOUT_S = env_float("STREAM_MONITOR_TIMEOUT_S", 10.0)
STREAM_MONITOR_SILENCE_SAMPLE_S = env_float("STREAM_MONITOR_SILENCE_SAMPLE_S", 15.0)
STREAM_MONITOR_THREADS = env_int("STREAM_MONITOR_THREADS", 16)
STREAM_MONITOR_ALLOW_PRIVATE_TARGETS = env_bool(
    "STREAM_MONITOR_ALLOW_PRIVATE_TARGETS", WEBHOOKS_ALLOW_PRIVATE_TARGETS
)
STREAM_CHECK_RETENTION_DAYS = env_int("STREAM_CHECK_RETENTION_DAYS", 30)

# --- REST API and inbound hooks (stations/api) ------------------------------------------
# Bodies over API_MAX_BODY_BYTES get a 413 before anything reads them (DRF's JSON parser
# would otherwise read past DATA_UPLOAD_MAX_MEMORY_SIZE, which only guards form parsing).
API_MAX_BODY_BYTES = 256 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
# Requests per API key, DRF rate syntax (`600/min`, `20/s`, `10000/hour`). Counted in the
# "throttle" cache: per process by default, shared by all web processes with REDIS_URL.
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "600/min")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
    ),
}
# Failed API-key attempts per client address (stations/api/key_failures.py): after
# API_KEY_FAILURE_LIMIT within a window of API_KEY_FAILURE_WINDOW_S, that address gets 429
# until the window ends. NUM_PROXIES: trusted reverse proxies in front of the web server
# that append the client's address to X-Forwarded-For (0: use REMOTE_ADDR).
API_KEY_FAILURE_LIMIT = env_int("API_KEY_FAILURE_LIMIT", 20)
API_KEY_FAILURE_WINDOW_S = env_int("API_KEY_FAILURE_WINDOW_S", 300)
NUM_PROXIES = env_int("NUM_PROXIES", 0)
REST_FRAMEWORK = {
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_AUTHENTICATION_CLASSES": ["stations.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["stations.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["stations.api.parsers.JSONInputParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "stations.api.pagination.StationPagination",
    "DEFAULT_SCHEMA_CLASS": "stations.api.schema.ApiAutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "StationHooks API",
    "DESCRIPTION": "Station data (RadioManager v2 field names) and inbound hooks. "
    "Authenticate with the `api-key` header or `Authorization: Bearer <key>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ItemStatusEnum": "stations.choices.ItemStatus",
        "EncoderStatusEnum": "stations.choices.EncoderStatus",
    },
}
