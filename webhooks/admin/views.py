"""Admin pages beyond the model admins' lists and forms: the operators' dashboard, and the
pages behind the webhook and delivery admins' buttons (redeliver failed, redeliver one
delivery; the webhook page's own are in webhook_pages, manual resync in resync). Thin:
the work is in webhooks.services, the reads in webhooks.selectors."""

import functools
from collections.abc import Callable
from datetime import timedelta

import markdown
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe

from stations import permissions
from stations.models import Station
from stations.scoping import stations_for
from webhooks import services
from webhooks.admin.charts import bar_chart, outcome_chart
from webhooks.admin.presenters import header_rows, pretty_json
from webhooks.forms import RedeliverFailedSinceForm
from webhooks.gateway.selectors import dashboard_counts as inbound_counts
from webhooks.holding import webhook_try_now
from webhooks.selectors import resyncs_of, station_overviews

__all__ = [
    "dashboard",
    "dashboard_resyncs",
    "page_of",
    "preview",
    "receiver_guide",
    "redeliver_delivery",
    "redeliver_failed",
    "try_now",
]


def page_of(model_admin: admin.ModelAdmin, view: Callable) -> Callable:
    """`view(model_admin, request, ...)` as a view of `model_admin`'s URLs."""
    return functools.update_wrapper(functools.partial(view, model_admin), view)


def dashboard(site: admin.AdminSite, request: HttpRequest) -> HttpResponse:
    """The admin's home page: per station, the last 24 hours and what needs attention."""
    panels = station_overviews(now=timezone.now(), stations=stations_for(request.user))
    inbound = inbound_counts(request.user, [panel["station"].pk for panel in panels])
    for panel in panels:
        panel["chart"] = outcome_chart(panel["hourly"], tz=panel["station"].zone)
        panel["inbound"] = inbound.get(panel["station"].pk, [])
        for row in panel["webhooks"]:
            row["bars"] = bar_chart(row["hourly"], width=240, height=40)
    context = {**site.each_context(request), "title": "Dashboard", "panels": panels}
    return TemplateResponse(request, "admin/dashboard.html", context)


def dashboard_resyncs(site: admin.AdminSite, request: HttpRequest, pk: int) -> HttpResponse:
    """The dashboard's "Resyncs in progress" card of one station, which reloads itself
    (htmx) while a resync runs."""
    visible = stations_for(request.user)
    station = get_object_or_404(Station.objects.all() if visible is None else visible, pk=pk)
    context = {"station": station, "resyncs": resyncs_of(station)}
    return TemplateResponse(request, "admin/dashboard/resyncs.html", context)


RECEIVER_GUIDE = settings.BASE_DIR / "docs" / "receiver-guide.md"


@functools.cache
def _receiver_guide_html() -> str:
    return markdown.markdown(
        RECEIVER_GUIDE.read_text(encoding="utf-8"), extensions=["fenced_code", "tables"]
    )


def receiver_guide(site: admin.AdminSite, request: HttpRequest) -> HttpResponse:
    """The receiver guide (docs/receiver-guide.md), rendered in the admin so an operator
    can hand it to whoever writes the receiving end."""
    context = {
        **site.each_context(request),
        "title": "Receiver guide",
        "guide": mark_safe(_receiver_guide_html()),  # the repo's own document
    }
    return TemplateResponse(request, "admin/receiver_guide.html", context)


def redeliver_failed(model_admin: admin.ModelAdmin, request: HttpRequest, pk: int) -> HttpResponse:
    webhook = get_object_or_404(model_admin.get_queryset(request), pk=pk)
    permissions.require(model_admin, request, "redeliver", webhook)
    form = RedeliverFailedSinceForm(
        request.POST or None,
        initial={"since": (timezone.now() - timedelta(days=1)).replace(microsecond=0)},
    )
    if request.method == "POST" and form.is_valid():
        count = services.webhook_redeliver_failed_since(
            webhook=webhook, since=form.cleaned_data["since"]
        )
        permissions.log(
            model_admin,
            request,
            webhook,
            f"Redelivered {count} failed deliveries (since {form.cleaned_data['since']}).",
        )
        model_admin.message_user(
            request,
            f"{count} failed deliveries to {webhook.name} queued again.",
            messages.SUCCESS,
        )
        return redirect("admin:webhooks_webhook_change", pk)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Redeliver failed deliveries to {webhook.name}",
        "opts": model_admin.model._meta,
        "original": webhook,
        "form": form,
    }
    return TemplateResponse(request, "admin/webhooks/webhook/redeliver_failed.html", context)


def preview(
    model_admin: admin.ModelAdmin, request: HttpRequest, pk: int | None = None
) -> HttpResponse:
    """The webhook form's Preview (an htmx fragment): the exact request its settings make
    for a sample event of its trigger, or the form's errors. Nothing is saved."""
    webhook = get_object_or_404(model_admin.get_queryset(request), pk=pk) if pk else None
    allowed = (
        model_admin.has_change_permission(request, webhook)
        if webhook
        else model_admin.has_add_permission(request)
    )
    if request.method != "POST" or not allowed:
        return HttpResponse(status=405 if allowed else 403)
    form = model_admin.get_form(request, webhook)(request.POST, instance=webhook)
    form.actor = request.user
    shown = form.preview if form.is_valid() else None
    errors = [
        (form.fields[name].label if name in form.fields else "", message)
        for name, messages in form.errors.items()
        for message in messages
    ]
    context = {
        "errors": errors,
        "preview": shown,
        "headers": header_rows(shown.headers) if shown else [],
        "body": pretty_json(shown.body) if shown else "",
    }
    return TemplateResponse(request, "admin/webhooks/webhook/preview.html", context)


def try_now(model_admin: admin.ModelAdmin, request: HttpRequest, pk: int) -> HttpResponse:
    """The operator's "try now" on an endpoint whose breaker holds its deliveries."""
    webhook = get_object_or_404(model_admin.get_queryset(request), pk=pk)
    permissions.require(model_admin, request, "redeliver", webhook)
    if request.method == "POST":
        if webhook_try_now(webhook=webhook):
            permissions.log(model_admin, request, webhook, "Tried the held endpoint now.")
            model_admin.message_user(
                request,
                f"Trying {webhook.name} now: its oldest delivery goes out; if it is answered, "
                "the held deliveries follow.",
                messages.SUCCESS,
            )
        else:
            model_admin.message_user(
                request, f"{webhook.name} is not held: nothing to try.", messages.WARNING
            )
    return redirect("admin:webhooks_webhook_change", pk)


def redeliver_delivery(
    model_admin: admin.ModelAdmin, request: HttpRequest, pk: int
) -> HttpResponse:
    delivery = get_object_or_404(model_admin.get_queryset(request), pk=pk)
    permissions.require(model_admin, request, "redeliver", delivery)
    if request.method != "POST":
        return redirect("admin:webhooks_delivery_change", pk)
    count = services.deliveries_redeliver(
        deliveries=model_admin.get_queryset(request).filter(pk=pk)
    )
    if count:
        permissions.log(model_admin, request, delivery, "Redelivered.")
    model_admin.message_user(
        request,
        "Delivery queued again." if count else "This delivery is still pending.",
        messages.SUCCESS if count else messages.WARNING,
    )
    return redirect("admin:webhooks_delivery_change", pk)
