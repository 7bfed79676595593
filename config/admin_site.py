"""The hub's admin site: the theme's site, with the dashboard as its home page and the
receiver guide beside the model admins. Every page of the admin hangs off this site or
one of its ModelAdmins, so each one is behind the site's login and permission checks."""

from django.urls import path
from unfold.sites import UnfoldAdminSite

__all__ = ["HubAdminSite"]


class HubAdminSite(UnfoldAdminSite):
    site_header = site_title = "StationHooks"
    index_title = "Dashboard"

    def index(self, request, extra_context=None):
        """The dashboard: what an operator needs to see first."""
        from webhooks.admin.views import dashboard

        return dashboard(self, request)

    def get_urls(self):
        from webhooks.admin.views import dashboard_resyncs, receiver_guide

        return [
            path(
                "receiver-guide/",
                self.admin_view(lambda request: receiver_guide(self, request)),
                name="receiver_guide",
            ),
            path(
                "dashboard/stations/<int:pk>/resyncs/",
                self.admin_view(lambda request, pk: dashboard_resyncs(self, request, pk)),
                name="dashboard_resyncs",
            ),
            *super().get_urls(),
        ]
