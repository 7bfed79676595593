"""The project's URLs plus the two reference views of benchmark 6, served by the same
server, under the same settings and middleware as the now-playing hook.

- The baseline, a bare DRF view: no authentication, permission or throttle; it parses the
  JSON body with the API's parser and answers a small JSON object with the API's renderer,
  as the hook does.
- The floor of any hook that records what it is told: the bare view plus one INSERT (a
  TrackPlay, in autocommit), still with no authentication, throttle or validation. No hook
  that keeps a durable record of each report can be faster than this on the same server.
"""

from functools import cache

from django.urls import path
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as project_urlpatterns
from stations.choices import TrackSource
from stations.models import Station, TrackPlay

__all__ = ["BARE_VIEW_PATH", "ONE_INSERT_VIEW_PATH", "BareView", "OneInsertView"]

BARE_VIEW_PATH = "/bench/bare/"
ONE_INSERT_VIEW_PATH = "/bench/one-insert/"


class BareView(APIView):
    authentication_classes = []
    permission_classes = []
    throttle_classes = []

    def post(self, request):
        return Response({"title": request.data.get("title", "")}, status=status.HTTP_201_CREATED)


@cache
def _station_id() -> int:
    return Station.objects.order_by("pk").values_list("pk", flat=True)[0]


class OneInsertView(BareView):
    def post(self, request):
        play = TrackPlay.objects.create(
            station_id=_station_id(), title=request.data.get("title", ""), source=TrackSource.API
        )
        return Response({"id": play.public_id}, status=status.HTTP_201_CREATED)


urlpatterns = [
    *project_urlpatterns,
    path(BARE_VIEW_PATH.strip("/") + "/", BareView.as_view()),
    path(ONE_INSERT_VIEW_PATH.strip("/") + "/", OneInsertView.as_view()),
]
