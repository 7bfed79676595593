"""A form field for JSON under the JSON input rules (`guards.json_input`).

Django's `forms.JSONField` uses plain `json.loads`: `1e400`, a lone surrogate or deep
nesting gets through it and fails later as a 500 (in the database, or when the form is
shown again). This field answers them with a form error that says which rule the input
broke, and shows the text back as it was typed. NUL characters are refused as well, since
the admin's JSON fields are stored in columns that do not take them.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput, JSONString

from guards.json_input import JSONInputError, check_json_value, json_input_loads

__all__ = ["JSONInputField"]


class JSONInputField(forms.JSONField):
    """Use it for a model JSONField in an admin:
    `formfield_overrides = {models.JSONField: {"form_class": JSONInputField}}`.
    A custom `decoder` is not used: the rules need the standard one.

    `object_only=True` takes a JSON object and nothing else, and an emptied field as {}:
    for columns that hold an object and are never null (JSON `null` or an empty field
    would otherwise be saved as SQL NULL, an IntegrityError)."""

    default_error_messages = {"not_object": 'Enter a JSON object, such as {} or {"a": 1}.'}

    def __init__(self, *, object_only: bool = False, **kwargs):
        self.object_only = object_only
        super().__init__(**kwargs)

    def to_python(self, value):
        if self.disabled:
            return value
        if value in self.empty_values:
            return {} if self.object_only else None
        try:
            if isinstance(value, list | dict | int | float | JSONString):
                check_json_value(value, allow_nul=False)
                converted = value
            else:
                converted = json_input_loads(value, allow_nul=False)
        except JSONInputError as broken:
            raise ValidationError(str(broken), code="invalid") from None
        except ValueError:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            ) from None
        if self.object_only and not isinstance(converted, dict):
            raise ValidationError(self.error_messages["not_object"], code="invalid")
        return JSONString(converted) if isinstance(converted, str) else converted

    def bound_data(self, data, initial):
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            return json_input_loads(data, allow_nul=False)
        except ValueError:
            return InvalidJSONInput(data)
