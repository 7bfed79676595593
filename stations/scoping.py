"""Station-scoped operators: staff who are not superusers see and change only the
stations they are assigned to (Station.operators), in every admin list, detail page,
action, form choice and autocomplete. Superusers see everything.

Every admin of station data uses StationScopedAdmin with `station_path`, the lookup from
its model to the Station (`"station"`, `"webhook__station"`, `"pk"` for Station itself).
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import NON_FIELD_ERRORS, EmptyResultSet, ValidationError
from django.db import NotSupportedError
from django.db.models import QuerySet
from unfold.admin import ModelAdmin

from stations.models import Station
from stations.permissions import HubPermissions

__all__ = [
    "CheckedLookupsAdmin",
    "ListEditableForm",
    "ScopedRelatedFilter",
    "StationScopedAdmin",
    "errors_of_shown_fields",
    "scope_to_operator",
    "stations_for",
]


def stations_for(user) -> QuerySet[Station] | None:
    """The stations `user` may see; None for a superuser (all of them)."""
    if user.is_superuser:
        return None
    return Station.objects.filter(operators=user)


def scope_to_operator(queryset: QuerySet, user, station_path: str) -> QuerySet:
    """`queryset` limited to the stations `user` may see.

    The station ids go into the query as values (one small query first), not as a
    subquery: PostgreSQL then knows from its statistics how many rows of a large table (the
    delivery log) are those stations', so it picks the right index and the delivery log's
    count estimate is right (with a subquery it assumes an average station)."""
    if user.is_superuser:
        return queryset
    return queryset.filter(**{f"{station_path}__in": _station_ids(user)})


def _station_ids(user) -> list[int]:
    """The ids of the stations an operator may see, read once per user object: an admin
    page scopes its list, filters and form choices, and each request loads its user anew."""
    if not hasattr(user, "_operator_station_ids"):
        user._operator_station_ids = list(stations_for(user).values_list("pk", flat=True))
    return user._operator_station_ids


def _station_path_of(model) -> str | None:
    if model is Station:
        return "pk"
    if any(f.name == "station" and f.related_model is Station for f in model._meta.fields):
        return "station"
    return None


def errors_of_shown_fields(errors: ValidationError, fields) -> ValidationError:
    """`errors` (a model's checks) with those of fields the form lacks moved to the form's
    own errors, as "field: message": Django's form raises ValueError on an error of a
    field it does not have (a 500)."""
    if not hasattr(errors, "error_dict"):
        return errors
    shown, hidden = {}, []
    for field, messages in errors.error_dict.items():
        if field in fields or field == NON_FIELD_ERRORS:
            shown[field] = messages
        else:
            hidden += [f"{field}: {m}" for error in messages for m in error.messages]
    if hidden:
        shown[NON_FIELD_ERRORS] = [*shown.get(NON_FIELD_ERRORS, []), *hidden]
    return ValidationError(shown)


class ListEditableForm(forms.ModelForm):
    """A row of a list's inline edits (`list_editable`). The model's clean() may object to a
    field the list does not show (a webhook whose saved URL no longer passes the target
    check, or a row whose id names nothing the user may edit, built as a new object): the
    error shows on the row."""

    def _update_errors(self, errors):
        super()._update_errors(errors_of_shown_fields(errors, self.fields))


class CheckedLookupsAdmin(admin.ModelAdmin):
    """An admin whose list page refuses a query string it cannot turn into SQL with the
    admin's "?e=1" page, as it refuses an unknown filter, instead of a 500. Every admin of
    the hub's site is one (the system tables' too)."""

    def get_changelist(self, request, **kwargs):
        return _refusing_bad_lookup_values(super().get_changelist(request, **kwargs))


class StationScopedAdmin(HubPermissions, CheckedLookupsAdmin, ModelAdmin):
    """What the user may do is their role's (stations/permissions.py); where, their
    stations'."""

    station_path = "station"

    def get_queryset(self, request):
        return scope_to_operator(super().get_queryset(request), request.user, self.station_path)

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, **{"form": ListEditableForm, **kwargs})

    def _scope_choices(self, db_field, request, kwargs):
        path = _station_path_of(db_field.related_model)
        if path and "queryset" not in kwargs:
            manager = db_field.related_model._default_manager
            kwargs["queryset"] = scope_to_operator(manager.all(), request.user, path)
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = self._scope_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs = self._scope_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# Lookups a list's query string cannot give a usable value: a range gets one text, which
# the database layer reads character by character as its bounds, and `contained_by` (of
# django.contrib.postgres) one it reads as a range literal; a pattern may be one the
# database refuses only when it runs the query (each database has its own syntax).
REFUSED_LOOKUPS = {"range", "contained_by", "regex", "iregex"}


def _refusing_bad_lookup_values(changelist_class: type) -> type:
    """The list page's ChangeList, refusing a query string the database layer cannot turn
    into SQL (`created_at__year=0`, a lookup of REFUSED_LOOKUPS): Django checks lookups
    when it builds the query but some fail only when it is compiled or run, which would
    be a 500; the admin answers IncorrectLookupParameters with its "?e=1" page instead, as
    for an unknown filter. (A NUL character the site refuses: config.admin_site.)"""

    class CheckedChangeList(changelist_class):
        def get_queryset(self, request, exclude_parameters=None):
            for key in request.GET:
                if key.rpartition("__")[2] in REFUSED_LOOKUPS:
                    raise IncorrectLookupParameters(f"{key}: lookup not offered")
            queryset = super().get_queryset(request, exclude_parameters)
            try:
                queryset.query.sql_with_params()
            except EmptyResultSet:  # a filter that matches nothing is a valid one
                pass
            except (ValueError, OverflowError, NotImplementedError, NotSupportedError) as error:
                raise IncorrectLookupParameters(error) from error
            return queryset

    return CheckedChangeList


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A related-object filter that lists only what the operator may see (the stock one
    lists every station or webhook, which would leak their names)."""

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        path = _station_path_of(related)
        choices = related._default_manager.all()
        if path:
            choices = scope_to_operator(choices, request.user, path)
        return [(obj.pk, str(obj)) for obj in choices]
