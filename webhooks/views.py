"""Admin pages outside the model admins: the operators' dashboard."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone

from stations.scoping import stations_for
from webhooks.dashboard import station_panels

__all__ = ["dashboard"]


def dashboard(request):
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "panels": station_panels(now=timezone.now(), stations=stations_for(request.user)),
    }
    return TemplateResponse(request, "admin/dashboard.html", context)
