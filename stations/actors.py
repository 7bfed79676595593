"""Who is making the changes in the current context: an admin user, an API key, or
nobody (code). Push messages carry it as `user_id` / `api_id`.

The admin sets it per request (ActorMiddleware); the REST API sets it per request once the
API key is authenticated (`with acting_as(api_key_id=key.pk): ...`); resync sets it to the
operator who started the job.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["Actor", "ActorMiddleware", "acting_as", "current_actor"]


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    api_key_id: int | None = None


NOBODY = Actor()
_current: ContextVar[Actor] = ContextVar("stationhooks_actor", default=NOBODY)


def current_actor() -> Actor:
    return _current.get()


@contextmanager
def acting_as(*, user_id: int | None = None, api_key_id: int | None = None) -> Iterator[Actor]:
    actor = Actor(user_id=user_id, api_key_id=api_key_id)
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


class ActorMiddleware:
    """Attributes changes made in a logged-in (admin) session to that user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            with acting_as(user_id=user.pk):
                return self.get_response(request)
        return self.get_response(request)
