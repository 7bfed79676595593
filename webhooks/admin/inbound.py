"""The inbound gateway in the admin: its sources (settings, the ingest URL with a copy
button, token rotation with an overlap) and the inbound log (every request kept, what was
verified, why it was rejected, what it caused), with replay and an audited "accept anyway".
Thin: the work is in webhooks.gateway.services, the reads in webhooks.gateway.selectors.

Replaying, accepting anyway and rotating are recorded in the admin history (LogEntry) of
the request or source, with who did it."""

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from stations import permissions
from stations.admin.display import ReadOnlyAdminMixin
from stations.scoping import ScopedRelatedFilter, StationScopedAdmin
from stations.states import badge
from stations.times import moment
from webhooks.admin.paginator import EstimatedCountPaginator
from webhooks.admin.presenters import header_rows, pretty_json
from webhooks.admin.views import page_of
from webhooks.choices import SourceKind
from webhooks.gateway import services
from webhooks.gateway.forms import RELAYING_KINDS, InboundSourceForm, RotateTokenForm
from webhooks.gateway.selectors import events_of_request, requests_matching
from webhooks.models import InboundRequest, InboundSource
from webhooks.signing import mask_secret

__all__ = ["InboundRequestAdmin", "InboundSourceAdmin"]

TOKEN_SHOWN_IN_LISTS = 4
CAUSE_SHOWN = 60


def _kind_is(kinds) -> str:
    """unfold's conditional field (an Alpine expression): the form's kind is in `kinds`."""
    return " || ".join(f"kind == '{kind}'" for kind in kinds)


@admin.register(InboundSource)
class InboundSourceAdmin(StationScopedAdmin):
    form = InboundSourceForm
    change_form_template = "admin/webhooks/inboundsource/change_form.html"
    list_display = ["name", "station", "kind", "enabled", "ingest_url_masked", "inbound_log"]
    list_filter = [("station", ScopedRelatedFilter), "kind", "enabled"]
    list_select_related = ["station"]
    search_fields = ["name"]
    readonly_fields = ["masked_secret", "masked_key"]
    secret_fields = ("new_secret", "remove_secret", "new_key", "remove_key")
    fieldsets = [
        (None, {"fields": ["station", "name", "kind", "enabled"]}),
        (
            "Verification",
            {
                "fields": [
                    "auth",
                    "header_name",
                    "signature_prefix",
                    "algorithm",
                    "encoding",
                    "username",
                    "masked_secret",
                    "new_secret",
                    "remove_secret",
                    "masked_key",
                    "new_key",
                    "remove_key",
                ]
            },
        ),
        ("Relaying", {"fields": ["relay_to"]}),
        ("Limits", {"fields": ["max_body_bytes", "dedup_window_s"]}),
    ]
    conditional_fields = {
        "auth": _kind_is([SourceKind.GENERIC]),
        "username": _kind_is([SourceKind.GENERIC]),
        "relay_to": _kind_is(RELAYING_KINDS),
    }

    @admin.display(description="ingest URL")
    def ingest_url_masked(self, obj):
        """Lists show only the start of the token: the URL is the source's credential."""
        return f"/in/{obj.token[:TOKEN_SHOWN_IN_LISTS]}…/"

    @admin.display(description="log")
    def inbound_log(self, obj):
        url = reverse("admin:webhooks_inboundrequest_changelist") + f"?source__id__exact={obj.pk}"
        return format_html('<a class="sh-link" href="{}">requests</a>', url)

    @admin.display(description="secret")
    def masked_secret(self, obj):
        return mask_secret(obj.secret) or "(none)"

    @admin.display(description="key")
    def masked_key(self, obj):
        return mask_secret(obj.key) or "(none)"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["ingest_url"] = request.build_absolute_uri(obj.ingest_path)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        return [
            path(
                "<int:pk>/rotate-token/",
                self.admin_site.admin_view(page_of(self, rotate_token)),
                name="webhooks_inboundsource_rotate_token",
            ),
            *super().get_urls(),
        ]


def rotate_token(model_admin: InboundSourceAdmin, request: HttpRequest, pk: int) -> HttpResponse:
    """A new URL token for the source, the current one working for the chosen overlap."""
    source = get_object_or_404(model_admin.get_queryset(request), pk=pk)
    permissions.require(model_admin, request, "secrets", source)
    form = RotateTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.source_rotate_token(source=source, overlap=form.overlap, now=timezone.now())
        overlap = dict(form.fields["overlap_s"].choices)[form.cleaned_data["overlap_s"]]
        message = f"Rotated the ingest URL token (overlap: {overlap})."
        model_admin.log_change(request, source, message)
        previous = (
            f"the previous one works on for {overlap}"
            if form.cleaned_data["overlap_s"]
            else "the previous one no longer works"
        )
        model_admin.message_user(
            request,
            f"New ingest URL for {source.name}: paste it into the sender's settings ({previous}).",
            messages.SUCCESS,
        )
        return redirect("admin:webhooks_inboundsource_change", pk)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Rotate the ingest URL of {source.name}",
        "opts": model_admin.model._meta,
        "original": source,
        "form": form,
    }
    return TemplateResponse(request, "admin/webhooks/inboundsource/rotate_token.html", context)


@admin.register(InboundRequest)
class InboundRequestAdmin(ReadOnlyAdminMixin, StationScopedAdmin):
    deletable = False  # the log is evidence: only retention prunes it
    change_form_template = "admin/webhooks/inboundrequest/change_form.html"
    list_display = ["id", "received", "source_and_station", "answer_and_cause", "processing"]
    list_display_links = ["id", "received"]
    list_filter = [
        ("source", ScopedRelatedFilter),
        "outcome",
        "status",
        "source__kind",
        "received_at",
    ]
    search_fields = ["=id"]
    search_help_text = "A request id, or the sender's id for it: a webhook-id or a job_id."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    ordering = ["-received_at"]
    actions = ["replay"]
    fields = ["answer"]
    readonly_fields = ["answer"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("source", "station")
            .defer("body", "headers")
        )

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return requests_matching(queryset, search_term), False

    def has_replay_permission(self, request, obj=None) -> bool:
        """Replaying or accepting anyway makes events: the inbound log's change right."""
        return request.user.has_perm("webhooks.change_inboundrequest")

    @admin.display(description="received", ordering="received_at")
    def received(self, obj):
        return moment(obj.received_at)

    @admin.display(description="source")
    def source_and_station(self, obj):
        return format_html(
            '{}<br><span class="sh-muted sh-small">{} · {}</span>',
            obj.source.name,
            obj.station.name,
            obj.source.get_kind_display(),
        )

    @admin.display(description="answer", ordering="outcome")
    def answer(self, obj):
        return badge(obj.outcome, f"{obj.outcome} {obj.response_status}")

    @admin.display(description="processing", ordering="status")
    def processing(self, obj):
        if obj.accepted_at:
            return format_html("{} {}", badge("info", "accepted anyway"), badge(obj.status))
        return badge(obj.status)

    @admin.display(description="answer", ordering="outcome")
    def answer_and_cause(self, obj):
        """The answer, and under it why (cut short: the detail page has it all)."""
        cause = obj.cause if len(obj.cause) <= CAUSE_SHOWN else f"{obj.cause[:CAUSE_SHOWN]}…"
        return format_html(
            '{}<br><span class="sh-muted sh-small">{}</span>', self.answer(obj), cause
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(
                headers=header_rows(obj.headers),
                body=pretty_json(bytes(obj.body).decode("utf-8", errors="replace")),
                events=events_of_request(obj),
                accept_problem=services.accept_problem(obj),
                can_act=self.has_replay_permission(request),
                replayable=obj.status in services.REPLAYABLE,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        return [
            path(
                "<int:pk>/replay/",
                self.admin_site.admin_view(page_of(self, replay_request)),
                name="webhooks_inboundrequest_replay",
            ),
            path(
                "<int:pk>/accept-anyway/",
                self.admin_site.admin_view(page_of(self, accept_anyway)),
                name="webhooks_inboundrequest_accept_anyway",
            ),
            *super().get_urls(),
        ]

    @admin.action(
        description="Replay selected requests (process them again)",
        permissions=["replay"],
    )
    def replay(self, request, queryset):
        replayed = services.requests_replay(requests=queryset, now=timezone.now())
        for obj in InboundRequest.objects.filter(pk__in=replayed.ids):
            self.log_change(request, obj, "Replayed (processed again).")
        skipped = (
            f" {replayed.skipped} left alone: only accepted requests that were processed "
            "or failed are replayed."
            if replayed.skipped
            else ""
        )
        self.message_user(
            request,
            f"{len(replayed.ids)} request(s) queued to be processed again.{skipped}",
            messages.SUCCESS if replayed.ids else messages.WARNING,
        )


def _acting_on(model_admin: InboundRequestAdmin, request: HttpRequest, pk: int):
    """The request of a POST an operator may act on, or the answer to give instead."""
    obj = get_object_or_404(model_admin.get_queryset(request), pk=pk)
    permissions.require(model_admin, request, "replay", obj)
    if request.method != "POST":
        return None, HttpResponseNotAllowed(["POST"])
    return obj, None


def replay_request(model_admin: InboundRequestAdmin, request: HttpRequest, pk: int) -> HttpResponse:
    obj, answer = _acting_on(model_admin, request, pk)
    if answer is not None:
        return answer
    replayed = services.requests_replay(requests=[obj], now=timezone.now())
    if replayed.ids:
        model_admin.log_change(request, obj, "Replayed (processed again).")
        model_admin.message_user(request, "Request queued to be processed again.")
    else:
        model_admin.message_user(
            request,
            "Only an accepted request that was processed or failed can be replayed.",
            messages.WARNING,
        )
    return redirect("admin:webhooks_inboundrequest_change", pk)


def accept_anyway(model_admin: InboundRequestAdmin, request: HttpRequest, pk: int) -> HttpResponse:
    """Process a request that failed verification, recording who decided it and why it
    had been rejected."""
    obj, answer = _acting_on(model_admin, request, pk)
    if answer is not None:
        return answer
    try:
        services.request_accept_anyway(request=obj, user=request.user, now=timezone.now())
    except services.AcceptRefused as refused:
        model_admin.message_user(request, str(refused), messages.ERROR)
    else:
        message = f"Accepted anyway after failing verification: {obj.cause}"
        model_admin.log_change(request, obj, message)
        model_admin.message_user(request, "Request accepted: it is being processed.")
    return redirect("admin:webhooks_inboundrequest_change", pk)
