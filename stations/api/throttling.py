"""Rate limiting per API key (settings.API_THROTTLE_RATE), answered with 429 + Retry-After."""

from django.conf import settings
from django.core.cache import caches
from django.utils.connection import ConnectionProxy
from rest_framework.throttling import SimpleRateThrottle

from stations.models import ApiKey

__all__ = ["ApiKeyRateThrottle"]


class ApiKeyRateThrottle(SimpleRateThrottle):
    """One bucket per key, counted in the "throttle" cache (see settings). The rate is
    read per request, so a changed setting applies without a restart of the class."""

    scope = "api_key"
    cache = ConnectionProxy(caches, "throttle")

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}
