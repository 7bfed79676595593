from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from stations.api.inbound_views import IcecastMetadataView
from webhooks.gateway.views import inbound_endpoint
from webhooks.metrics import metrics_view

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index")),
    # Icecast-compatible metadata updates; must come before the admin's own admin/ URLs.
    path("admin/metadata", IcecastMetadataView.as_view(), name="icecast-metadata"),
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
    # The inbound gateway: vendors' webhooks (docs/inbound-gateway.md).
    path("in/<str:token>/", inbound_endpoint, name="inbound"),
    path("api/v1/", include("stations.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (no inline script).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
