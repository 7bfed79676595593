"""The project's URLs plus the baseline of benchmark 6: a bare DRF view, served by the
same server, under the same settings and middleware as the now-playing hook.

It has no authentication, permission or throttle; it parses the JSON body with the API's
parser and answers a small JSON object with the API's renderer, as the hook does.
"""

from django.urls import path
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as project_urlpatterns

__all__ = ["BARE_VIEW_PATH", "BareView"]

BARE_VIEW_PATH = "/bench/bare/"


class BareView(APIView):
    authentication_classes = []
    permission_classes = []
    throttle_classes = []

    def post(self, request):
        return Response({"title": request.data.get("title", "")}, status=status.HTTP_201_CREATED)


urlpatterns = [*project_urlpatterns, path(BARE_VIEW_PATH.strip("/") + "/", BareView.as_view())]
