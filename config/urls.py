from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from webhooks.views import dashboard

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/dashboard/", admin.site.admin_view(dashboard), name="dashboard"),
    path("admin/", admin.site.urls),
]
