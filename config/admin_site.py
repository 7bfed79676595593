"""The hub's admin site: the theme's site, with the dashboard as its home page and the
receiver guide beside the model admins. Every page of the admin hangs off this site or
one of its ModelAdmins, so each one is behind the site's login and permission checks,
and refuses a NUL character in its query string or URL (PostgreSQL text cannot hold one:
a search, filter or object id with it would fail in the database, a 500)."""

import functools

from django.http import HttpResponseBadRequest
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

    def admin_view(self, view, cacheable=False):
        checked = super().admin_view(view, cacheable)

        @functools.wraps(checked)
        def refusing_nul(request, *args, **kwargs):
            given = [*kwargs.values(), *request.GET, *request.GET.values()]
            if any("\x00" in str(text) for text in given):
                return HttpResponseBadRequest("A NUL character in the address is refused.")
            return checked(request, *args, **kwargs)

        return refusing_nul

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
