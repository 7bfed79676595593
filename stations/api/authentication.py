"""API-key authentication for DRF: `api-key: <key>` or `Authorization: Bearer <key>`.

The authenticated request has `request.auth` = the ApiKey (use its `station_id`: the
station is loaded only when first used) and
`request.user` = an ApiClient, so permissions, throttles and the schema all see the key.
A wrong key counts against the client's address (stations.api.key_failures).
"""

from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from stations.api.key_failures import api_key_attempt
from stations.models import ApiKey

__all__ = ["ApiClient", "ApiKeyAuthentication", "api_key_from_headers"]

API_KEY_HEADER = "api-key"


@dataclass(frozen=True)
class ApiClient:
    """`request.user` of an API request: whoever holds the key, acting for its station."""

    api_key: ApiKey
    is_authenticated = True
    is_anonymous = False


def api_key_from_headers(headers) -> str:
    """The key the request presents, or "" when it presents none."""
    key = headers.get(API_KEY_HEADER, "").strip()
    if key:
        return key
    scheme, _, credentials = headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    return ""


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        raw_key = api_key_from_headers(request.headers)
        if not raw_key:
            return None
        api_key = api_key_attempt(request, raw_key)
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        return ApiClient(api_key=api_key), api_key

    def authenticate_header(self, request) -> str:
        """Makes DRF answer 401 (not 403) to a request without a valid key."""
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describes both ways of sending the key in the OpenAPI schema."""

    target_class = ApiKeyAuthentication
    name = ["ApiKeyHeader", "BearerKey"]

    def get_security_requirement(self, auto_schema):
        """Either header will do (two requirements, not one with both)."""
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": API_KEY_HEADER},
            {"type": "http", "scheme": "bearer", "description": "The API key as bearer token."},
        ]
