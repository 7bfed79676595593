"""The inbound source's admin form. Secrets and keys are write-only, as on webhooks: the
form never renders their value, an empty field keeps the stored one, and a source cannot be
saved without the credentials its kind verifies with (it would reject every request)."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError

from stations.scoping import errors_of_shown_fields
from webhooks.choices import SourceKind
from webhooks.models import InboundSource

__all__ = ["InboundSourceForm", "RotateTokenForm"]

# The model's credential fields, as the form names them (the form never shows the values).
_FORM_FIELD = {"secret": "new_secret", "key": "new_key"}
RELAYING_KINDS = (SourceKind.GENERIC, SourceKind.STANDARD_WEBHOOKS)


class InboundSourceForm(forms.ModelForm):
    new_secret = forms.CharField(
        label="secret",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="The secret the sender signs with (xtra, Standard Webhooks: required; "
        "generic HMAC; RadioManager and Radio Mast: optional, adds an HMAC header check). "
        "Leave empty to keep the current one.",
    )
    remove_secret = forms.BooleanField(required=False, help_text="Check no signature.")
    new_key = forms.CharField(
        label="key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="RadioManager's api-key, a generic source's key, or the basic-auth "
        "password. Leave empty to keep the current one.",
    )
    remove_key = forms.BooleanField(required=False, help_text="Check no key.")

    class Meta:
        model = InboundSource
        fields = [
            "station",
            "name",
            "kind",
            "enabled",
            "auth",
            "header_name",
            "signature_prefix",
            "algorithm",
            "encoding",
            "username",
            "relay_to",
            "max_body_bytes",
            "dedup_window_s",
        ]

    def clean(self):
        cleaned = super().clean()
        for name in ("secret", "key"):
            new, remove = cleaned.get(f"new_{name}"), cleaned.get(f"remove_{name}")
            if new and remove:
                self.add_error(f"remove_{name}", f"Either set a new {name} or remove it, not both.")
            elif remove:
                setattr(self.instance, name, "")
            elif new:
                setattr(self.instance, name, new)
        station, relay_to = cleaned.get("station"), cleaned.get("relay_to")
        if relay_to and cleaned.get("kind") not in RELAYING_KINDS:
            self.add_error("relay_to", "Only generic and Standard Webhooks sources relay.")
        elif station and relay_to and any(w.station_id != station.pk for w in relay_to):
            self.add_error("relay_to", "Relay webhooks must belong to the source's station.")
        return cleaned

    def _update_errors(self, errors):
        """The model's checks name `secret` and `key`; the form's fields are `new_…`, which
        the form of a user who does not manage secrets lacks (the error is then the form's
        own: "secret: This kind of source signs its requests…")."""
        if hasattr(errors, "error_dict"):
            renamed = {name: field for name, field in _FORM_FIELD.items() if field in self.fields}
            errors = ValidationError(
                {renamed.get(name, name): found for name, found in errors.error_dict.items()}
            )
        super()._update_errors(errors_of_shown_fields(errors, self.fields))


OVERLAPS = [
    (0, "none: the current URL stops working at once"),
    (3600, "1 hour"),
    (24 * 3600, "24 hours"),
    (7 * 24 * 3600, "7 days"),
]


class RotateTokenForm(forms.Form):
    overlap_s = forms.TypedChoiceField(
        label="overlap",
        choices=OVERLAPS,
        coerce=int,
        initial=24 * 3600,
        help_text="How long the current URL keeps working, time to paste the new one into "
        "the sender's settings.",
    )

    @property
    def overlap(self) -> timedelta:
        return timedelta(seconds=self.cleaned_data["overlap_s"])
