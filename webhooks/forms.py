"""Admin forms. Secrets and keys are write-only here: the form never renders their value."""

from django import forms

from stations.choices import PushModel
from webhooks import event_types
from webhooks.event_types import Pacing
from webhooks.models import AlertPolicy, Webhook
from webhooks.signing import secret_problem

__all__ = ["AlertPolicyForm", "RedeliverFailedSinceForm", "ResyncForm", "WebhookForm"]


def _paced_by(pacing: Pacing) -> str:
    """The webhooks that may use `pacing`, for an error message."""
    labels = [t.label for t in event_types.registered() if t.pacing == pacing]
    return f"{' and '.join(labels)} webhooks"


class WebhookForm(forms.ModelForm):
    models = forms.MultipleChoiceField(
        choices=PushModel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Push webhooks only. None selected means all six models.",
    )
    new_secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="Set your own secret. Leave empty to keep the current one "
        "(a new webhook gets a generated whsec_ secret, shown once after saving).",
    )
    remove_secret = forms.BooleanField(
        required=False, help_text="Send unsigned requests (no signature headers)."
    )
    new_key = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="Sent as the api-key header. Leave empty to keep the current one.",
    )
    remove_key = forms.BooleanField(required=False, help_text="Send no api-key header.")

    class Meta:
        model = Webhook
        fields = [
            "station",
            "name",
            "url",
            "event_type",
            "models",
            "enabled",
            "delay_s",
            "throttle_s",
            "debounce_s",
        ]

    def clean_new_secret(self):
        secret = self.cleaned_data["new_secret"]
        if secret and (problem := secret_problem(secret)):
            raise forms.ValidationError(problem)
        return secret

    def clean(self):
        cleaned = super().clean()
        pacing = event_types.get(cleaned["event_type"]).pacing if "event_type" in cleaned else None
        if cleaned.get("throttle_s") and pacing != Pacing.THROTTLE:
            self.add_error(
                "throttle_s", f"Throttling applies to {_paced_by(Pacing.THROTTLE)} only."
            )
        if cleaned.get("debounce_s") and pacing != Pacing.DEBOUNCE:
            self.add_error(
                "debounce_s", f"Debouncing applies to {_paced_by(Pacing.DEBOUNCE)} only."
            )
        if cleaned.get("new_secret") and cleaned.get("remove_secret"):
            self.add_error("remove_secret", "Either set a new secret or remove it, not both.")
        if cleaned.get("new_key") and cleaned.get("remove_key"):
            self.add_error("remove_key", "Either set a new key or remove it, not both.")
        return cleaned

    def save(self, commit=True):
        webhook = super().save(commit=False)
        if self.cleaned_data.get("remove_secret"):
            webhook.secret = ""
        elif self.cleaned_data.get("new_secret"):
            webhook.secret = self.cleaned_data["new_secret"]
        if self.cleaned_data.get("remove_key"):
            webhook.key = ""
        elif self.cleaned_data.get("new_key"):
            webhook.key = self.cleaned_data["new_key"]
        if commit:
            webhook.save()
        return webhook


class RedeliverFailedSinceForm(forms.Form):
    since = forms.DateTimeField(
        help_text="Every delivery that failed and was created at or after this time "
        "(UTC, YYYY-MM-DD HH:MM) goes out again.",
    )


class ResyncForm(forms.Form):
    window_start = forms.DateTimeField(
        help_text="Broadcasts, Items and Campaigns starting at or after this time (UTC)…"
    )
    window_end = forms.DateTimeField(help_text="…and before this time (UTC) are sent.")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("window_start"), cleaned.get("window_end")
        if start and end and end <= start:
            self.add_error("window_end", "The window must end after it starts.")
        return cleaned


class AlertPolicyForm(forms.ModelForm):
    """Streams and contacts must belong to the policy's station; contacts must be stream
    alert webhooks. An existing policy's choices are narrowed to its station."""

    class Meta:
        model = AlertPolicy
        fields = [
            "station",
            "name",
            "enabled",
            "condition",
            "streams",
            "grace_minutes",
            "notify_recovery",
            "contacts",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        station_id = self.instance.station_id if self.instance.pk else None
        if station_id:
            self.fields["streams"].queryset = self.fields["streams"].queryset.filter(
                station_id=station_id
            )
            self.fields["contacts"].queryset = self.fields["contacts"].queryset.filter(
                station_id=station_id
            )

    def clean(self):
        cleaned = super().clean()
        station = cleaned.get("station")
        if station is None:
            return cleaned
        foreign_streams = [s.name for s in cleaned.get("streams", []) if s.station_id != station.pk]
        if foreign_streams:
            self.add_error(
                "streams", f"Not streams of {station}: {', '.join(sorted(foreign_streams))}."
            )
        foreign = [w.name for w in cleaned.get("contacts", []) if w.station_id != station.pk]
        if foreign:
            self.add_error("contacts", f"Not webhooks of {station}: {', '.join(sorted(foreign))}.")
        wrong = [
            w.name
            for w in cleaned.get("contacts", [])
            if w.event_type != event_types.STREAM_ALERT.name
        ]
        if wrong:
            self.add_error(
                "contacts",
                f"Not stream alert webhooks: {', '.join(sorted(wrong))}.",
            )
        return cleaned
