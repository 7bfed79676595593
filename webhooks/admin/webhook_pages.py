"""The pages behind the webhook page's own buttons: test event, reveal the secret, pause,
resume, duplicate.
Each checks its permission on that webhook (403 without; stations.permissions) and writes
what it did to the admin history (LogEntry). Thin: the work is in webhooks.services and
webhooks.holding."""

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html

from stations import permissions
from webhooks import services
from webhooks.admin.presenters import header_rows, pretty_json
from webhooks.admin.views import page_of
from webhooks.choices import DeliveryStatus
from webhooks.holding import webhook_pause, webhook_resume
from webhooks.models import Delivery, Webhook
from webhooks.previews import preview_request

__all__ = [
    "duplicate",
    "pause",
    "report_test_event",
    "resume",
    "reveal_secret",
    "send_test",
    "show_secret_once",
    "urls",
]


def urls(model_admin: admin.ModelAdmin) -> list[URLPattern]:
    def route(pattern: str, view, name: str) -> URLPattern:
        wrapped = model_admin.admin_site.admin_view(page_of(model_admin, view))
        return path(pattern, wrapped, name=f"webhooks_webhook_{name}")

    return [
        route("<int:pk>/send-test/", send_test, "send_test"),
        route("<int:pk>/reveal-secret/", reveal_secret, "reveal_secret"),
        route("<int:pk>/pause/", pause, "pause"),
        route("<int:pk>/resume/", resume, "resume"),
        route("<int:pk>/duplicate/", duplicate, "duplicate"),
    ]


def show_secret_once(
    model_admin: admin.ModelAdmin, request: HttpRequest, webhook: Webhook, what: str
) -> None:
    """A message with the secret and a copy button: the only time the page shows it
    unasked."""
    model_admin.message_user(
        request,
        format_html(
            '{} for {} (shown once, copy it now): <code id="shown-secret-{}">{}</code> '
            '<button type="button" class="sh-copy" data-copy="#shown-secret-{}">Copy</button>',
            what,
            webhook.name,
            webhook.pk,
            webhook.secret,
            webhook.pk,
        ),
        messages.WARNING,
    )


def _allowed(
    model_admin: admin.ModelAdmin, request: HttpRequest, pk: int, permission: str = "change"
) -> Webhook:
    """The webhook, when the user may see it (else 404) and has `permission` (else 403)."""
    webhook = get_object_or_404(model_admin.get_queryset(request), pk=pk)
    permissions.require(model_admin, request, permission, webhook)
    return webhook


def reveal_secret(model_admin: admin.ModelAdmin, request: HttpRequest, pk: int) -> HttpResponse:
    """The signing secret in full, on a POST by a user who manages secrets; the admin
    history records who saw it."""
    webhook = _allowed(model_admin, request, pk, "secrets")
    if request.method != "POST" or not webhook.secret:
        return redirect("admin:webhooks_webhook_change", pk)
    model_admin.log_change(request, webhook, "Revealed the signing secret.")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Signing secret of {webhook.name}",
        "opts": model_admin.model._meta,
        "original": webhook,
    }
    return TemplateResponse(request, "admin/webhooks/webhook/secret.html", context)


def pause(model_admin: admin.ModelAdmin, request: HttpRequest, pk: int) -> HttpResponse:
    webhook = _allowed(model_admin, request, pk)
    if request.method == "POST" and not webhook.paused_at:
        held = webhook_pause(webhook=webhook)
        model_admin.log_change(request, webhook, "Paused: new deliveries held until Resume.")
        model_admin.message_user(
            request,
            f"Paused {webhook.name}: {held} queued deliveries held; new ones wait too, "
            "until Resume.",
            messages.SUCCESS,
        )
    return redirect("admin:webhooks_webhook_change", pk)


def resume(model_admin: admin.ModelAdmin, request: HttpRequest, pk: int) -> HttpResponse:
    webhook = _allowed(model_admin, request, pk)
    if request.method == "POST" and webhook.paused_at:
        released = webhook_resume(webhook=webhook)
        model_admin.log_change(request, webhook, f"Resumed: {released} held deliveries sent.")
        model_admin.message_user(
            request,
            f"Resumed {webhook.name}: {released} held deliveries go out now, oldest first.",
            messages.SUCCESS,
        )
    return redirect("admin:webhooks_webhook_change", pk)


def report_test_event(
    model_admin: admin.ModelAdmin, request: HttpRequest, webhook: Webhook, sent: Delivery
) -> None:
    """The receiver's answer to a test event sent now: status, time, start of the body."""
    attempt = sent.attempts.last()
    if attempt is None:
        model_admin.message_user(
            request, f"Test event to {webhook.name} not sent: {sent.last_error}", messages.ERROR
        )
        return
    answer = f"HTTP {attempt.response_status}" if attempt.response_status else attempt.error
    if attempt.response_status and attempt.error:  # the service's reason (webhooks.formats)
        answer = f"{answer} ({attempt.error})"
    body = attempt.response_body[:200]
    model_admin.message_user(
        request,
        f"Test event to {webhook.name}: {answer} in {attempt.duration_ms} ms "
        f"({sent.status})." + (f" Response: {body}" if body else ""),
        messages.SUCCESS if sent.status == DeliveryStatus.DELIVERED else messages.ERROR,
    )


def send_test(model_admin: admin.ModelAdmin, request: HttpRequest, pk: int) -> HttpResponse:
    """The test event page: choose its type, see the exact request (built from the
    station's own recent data when it has some), send it and see the answer. The change
    page's button posts here with the webhook's own type."""
    webhook = _allowed(model_admin, request, pk)
    types = {t.name: t for t in services.types_for_test_event(webhook)}
    chosen = types.get(request.POST.get("event_type") or request.GET.get("event_type", ""))
    event_type = chosen or types[webhook.event_type]
    if request.method == "POST":
        sent = services.webhook_send_test_event(
            webhook=webhook, actor=request.user, event_type=event_type
        )
        model_admin.log_change(request, webhook, f"Sent a test event ({event_type.name}).")
        report_test_event(model_admin, request, webhook, sent)
        return redirect("admin:webhooks_webhook_change", pk)
    now = timezone.now()
    test = services.plan_test_event(
        webhook=webhook, event_type=event_type, actor=request.user, now=now
    )
    shown = preview_request(
        webhook=webhook, actor=request.user, now=now, event_type=event_type, subject=test.subject
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Test event to {webhook.name}",
        "opts": model_admin.model._meta,
        "original": webhook,
        "types": list(types.values()),
        "event_type": event_type,
        "test": test,
        "preview": shown,
        "headers": header_rows(shown.headers),
        "body": pretty_json(shown.body),
        "timeout_s": services.TEST_EVENT_TIMEOUT_S,
    }
    return TemplateResponse(request, "admin/webhooks/webhook/test_event.html", context)


def duplicate(model_admin: admin.ModelAdmin, request: HttpRequest, pk: int) -> HttpResponse:
    """A disabled copy with a new secret (shown once), opened for review."""
    webhook = _allowed(model_admin, request, pk, "add")
    if request.method != "POST":
        return redirect("admin:webhooks_webhook_change", pk)
    copy = services.webhook_duplicate(webhook=webhook)
    model_admin.log_addition(request, copy, f"Duplicated from {webhook.name} ({webhook.pk}).")
    model_admin.message_user(
        request,
        f"{copy.name} created, disabled: review its settings, then tick Enabled.",
        messages.SUCCESS,
    )
    if copy.secret and copy.destination.signed:
        show_secret_once(model_admin, request, copy, "Its own new secret")
    return redirect("admin:webhooks_webhook_change", copy.pk)
