"""Admin forms. Secrets and keys are write-only here: the form never renders their value."""

from django import forms
from django.utils import timezone
from unfold.widgets import (
    UnfoldAdminPasswordWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanWidget,
)

from stations.choices import PushModel
from webhooks import custom_headers, event_types, formats
from webhooks.event_types import Pacing
from webhooks.models import AlertPolicy, Webhook
from webhooks.previews import preview_request
from webhooks.signing import secret_problem

__all__ = [
    "AlertPolicyForm",
    "RedeliverFailedSinceForm",
    "ResyncForm",
    "WebhookForm",
    "format_field_name",
]


def format_field_name(destination: formats.Format, setting: formats.Setting) -> str:
    """The form field of one setting of one format (every format's fields are on the
    form; the admin shows the chosen format's)."""
    return f"{destination.name}_{setting.name}"


def _format_field(setting: formats.Setting) -> forms.Field:
    common = {
        "label": setting.label,
        "required": False,
        "help_text": setting.help,
        "initial": setting.default,
    }
    if setting.kind == "flag":
        return forms.BooleanField(widget=UnfoldBooleanWidget, **common)
    if setting.kind == "choice":
        return forms.ChoiceField(choices=setting.choices, widget=UnfoldAdminSelectWidget, **common)
    if setting.secret:
        common.pop("initial")
        return forms.CharField(
            max_length=setting.max_length, widget=UnfoldAdminPasswordWidget, **common
        )
    widget = UnfoldAdminTextareaWidget if setting.kind == "textarea" else UnfoldAdminTextInputWidget
    return forms.CharField(max_length=setting.max_length, widget=widget, **common)


def _url_help() -> str:
    """The URL field's help: what each format wants there."""
    wanted = [f"{f.label}: {f.url.help}" for f in formats.registered() if f.url and f.url.help]
    none = [f.label for f in formats.registered() if f.url is None]
    return " ".join([*wanted, f"{' and '.join(none)}: none (the service's address is a setting)."])


def _paced_by(pacing: Pacing) -> str:
    """The webhooks that may use `pacing`, for an error message."""
    labels = [t.label for t in event_types.registered() if t.pacing == pacing]
    return f"{' and '.join(labels)} webhooks"


def _destination_fields() -> type[forms.Form]:
    """A form holding every setting of every format (WebhookForm inherits them)."""
    fields = {
        format_field_name(destination, setting): _format_field(setting)
        for destination in formats.registered()
        for setting in destination.settings
    }
    return type("DestinationFields", (forms.Form,), fields)


class WebhookForm(_destination_fields(), forms.ModelForm):
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
    headers = forms.CharField(
        label="Custom headers",
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3, "placeholder": "X-Tenant: radio-1"}),
        help_text="Sent on every request: one “Name: value” a line. Values of headers "
        "named like a credential (Authorization, X-Api-Token…) are shown masked; leave a "
        "masked value as it is to keep it. The hub's own headers (signatures, webhook-*, "
        "Content-Type, api-key) cannot be set here.",
    )

    class Meta:
        model = Webhook
        fields = [
            "station",
            "name",
            "url",
            "event_type",
            "format",
            "models",
            "enabled",
            "delay_s",
            "throttle_s",
            "debounce_s",
        ]

    # Who asks for the preview the form renders when it validates (the sample push
    # message's user_id); the admin's views set it.
    actor = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.preview = None
        if "url" not in self.fields:  # a view-only user's form: nothing to edit
            return
        self.fields["url"].help_text = _url_help()
        self.fields["format"].required = False  # left out: the default (native)
        instance = self.instance
        if not instance.pk:
            return
        self.fields["headers"].initial = custom_headers.shown_lines(instance.headers_list())
        stored = instance.destination_settings()
        destination = instance.destination
        for setting in destination.settings:
            field = self.fields[format_field_name(destination, setting)]
            if setting.secret:
                if stored.get(setting.name):
                    field.help_text = f"{setting.help} Leave empty to keep the current one."
            else:
                field.initial = stored.get(setting.name, setting.default)

    def _destination_values(self, destination: formats.Format) -> dict:
        """The chosen format's settings from the form; a secret left empty keeps the
        one stored for the same format."""
        instance = self.instance
        stored = (
            instance.destination_settings()
            if instance.pk and instance.format == destination.name
            else {}
        )
        values = {}
        for setting in destination.settings:
            value = self.cleaned_data.get(format_field_name(destination, setting))
            if setting.secret and not value:
                value = stored.get(setting.name, "")
            values[setting.name] = value.strip() if isinstance(value, str) else value
            if setting.required and not values[setting.name]:
                self.add_error(
                    format_field_name(destination, setting),
                    f"{destination.label} needs its {setting.label.lower()}.",
                )
        return values

    def clean_format(self):
        return self.cleaned_data["format"] or Webhook._meta.get_field("format").default

    def clean_new_secret(self):
        secret = self.cleaned_data["new_secret"]
        if secret and (problem := secret_problem(secret)):
            raise forms.ValidationError(problem)
        return secret

    def clean_headers(self):
        stored = self.instance.headers_list() if self.instance.pk else []
        headers, problems = custom_headers.parse(self.cleaned_data["headers"], stored=stored)
        if problems:
            raise forms.ValidationError(problems)
        return headers

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
        if cleaned.get("format") in dict(formats.choices()):
            self._values = self._destination_values(formats.get(cleaned["format"]))
        return cleaned

    def _post_clean(self):
        """With the instance built: its format's settings, then the preview of a sample
        event, which is also the check that the format can make a request of it (a
        template that fails, a placeholder that does not exist)."""
        super()._post_clean()
        if self.errors or not hasattr(self, "_values"):
            return
        webhook = self.instance
        webhook.set_destination_settings(self._values)
        webhook.custom_headers = custom_headers.encode(self.cleaned_data.get("headers", []))
        self.preview = preview_request(webhook=webhook, actor=self.actor, now=timezone.now())
        if self.preview.problem:
            destination = webhook.destination
            names = {s.name: format_field_name(destination, s) for s in destination.settings}
            self.add_error(names.get(self.preview.problem_setting), self.preview.problem)

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


def _picker() -> forms.DateTimeInput:
    """The browser's own date-time picker (no script, so nothing for the CSP to refuse)."""
    return forms.DateTimeInput(
        attrs={"type": "datetime-local", "step": 60}, format="%Y-%m-%dT%H:%M"
    )


class ResyncForm(forms.Form):
    """The window of a resync. Its times carry no zone: the view validates it with the
    station's time zone active, and says which zone that is."""

    window_start = forms.DateTimeField(
        widget=_picker(),
        help_text="Broadcasts, Items and Campaigns starting at or after this time…",
    )
    window_end = forms.DateTimeField(widget=_picker(), help_text="…and before this time.")

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
        for name in ("streams", "contacts") if station_id else ():
            if name in self.fields:  # (a view-only user's form has none)
                field = self.fields[name]
                field.queryset = field.queryset.filter(station_id=station_id)

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
