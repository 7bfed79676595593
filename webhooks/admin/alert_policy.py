"""Alert policies: who hears about which stream outages, with the outages each tracks and
whether their alert went out. A policy with no notify webhook alerts nobody: the list, the
page and the save say so, and an empty picker links to adding a stream alert webhook."""

from datetime import timedelta

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from stations.admin.display import ReadOnlyInline
from stations.scoping import ScopedRelatedFilter, StationScopedAdmin
from stations.states import badge
from stations.times import moment
from webhooks.alerts import outage_alert_status
from webhooks.event_types import STREAM_ALERT
from webhooks.forms import AlertPolicyForm
from webhooks.models import AlertPolicy, AlertState

__all__ = ["AlertPolicyAdmin", "AlertStateInline", "has_recipient"]

NO_RECIPIENT = "No notify webhook: this policy's alerts reach nobody."


def has_recipient(policy: AlertPolicy) -> bool:
    """Whether an alert of `policy` would reach anyone (an enabled notify webhook).
    Reads the prefetched `contacts` when the list has them."""
    return any(webhook.enabled for webhook in policy.contacts.all())


def add_alert_webhook_url() -> str:
    return reverse("admin:webhooks_webhook_add") + f"?event_type={STREAM_ALERT.name}"


class AlertStateInline(ReadOnlyInline):
    """The outages the policy is tracking right now, and whether each one's alert went out."""

    model = AlertState
    verbose_name = "current outage"
    verbose_name_plural = "current outages"
    fields = ["subject", "since", "alert"]
    readonly_fields = fields

    @admin.display(description="stream")
    def subject(self, obj):
        return obj.stream.name if obj.stream else "all streams"

    @admin.display(description="down since")
    def since(self, obj):
        return moment(obj.down_since, zone=obj.policy.station.zone)

    @admin.display(description="alert")
    def alert(self, obj):
        policy = obj.policy
        sent, text = outage_alert_status(
            down_since=obj.down_since,
            down_sent_at=obj.down_sent_at,
            grace=timedelta(minutes=policy.grace_minutes),
            has_recipient=has_recipient(policy),
            now=timezone.now(),
            zone=policy.station.zone,
        )
        return badge("sent" if sent else "pending", text)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("stream", "policy__station")


@admin.register(AlertPolicy)
class AlertPolicyAdmin(StationScopedAdmin):
    form = AlertPolicyForm
    change_form_template = "admin/webhooks/alertpolicy/change_form.html"
    list_display = [
        "name",
        "station",
        "condition",
        "grace_minutes",
        "notify_recovery",
        "enabled",
        "covered_streams",
        "notify_webhooks",
    ]
    list_editable = ["enabled"]
    list_filter = [("station", ScopedRelatedFilter), "condition", "enabled"]
    list_select_related = ["station"]
    search_fields = ["name"]
    filter_horizontal = ["streams", "contacts"]
    inlines = [AlertStateInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("streams", "contacts")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        """The notify webhooks' picker says where they come from, and links to adding one
        (at once when there is none to pick)."""
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "contacts":
            link = format_html(
                '<a class="sh-link" href="{}">add a stream alert webhook</a>',
                add_alert_webhook_url(),
            )
            if field.queryset.exists():
                field.help_text = format_html(
                    "Stream alert webhooks of the policy's station; they receive its alerts. "
                    "Another receiver? {}.",
                    link,
                )
            else:
                field.help_text = format_html(
                    "None to pick yet: {}, then come back to choose it.", link
                )
        return field

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["no_recipient"] = obj is not None and not has_recipient(obj)
        context["add_alert_webhook_url"] = add_alert_webhook_url()
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not has_recipient(form.instance):
            self.message_user(request, NO_RECIPIENT, messages.WARNING)

    @admin.display(description="streams")
    def covered_streams(self, obj):
        return ", ".join(s.name for s in obj.streams.all()) or "all streams"

    @admin.display(description="notify webhooks")
    def notify_webhooks(self, obj):
        if not has_recipient(obj):
            return badge("failed", "none: alerts reach nobody")
        return ", ".join(w.name for w in obj.contacts.all() if w.enabled)
