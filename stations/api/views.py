"""CRUD for the six push models under /api/v1/, scoped to the API key's station.

- Lists show the key's station only, live objects unless `?deleted=` asks otherwise.
- GET by id also returns a soft-deleted object (`deleted_at` set): push receivers fetch
  objects after their `delete` message. Another station's object is a 403.
- DELETE is soft; `POST .../{id}/recover/` restores. A deleted object must be recovered
  before it can be changed (409).
- Every write runs as the key (`acting_as`), so push messages carry its `api_id`.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from stations.actors import acting_as
from stations.api import MAX_ID, filters, serializers
from stations.api.permissions import BelongsToKeyStation
from stations.changes import change_batch
from stations.models import Broadcast, Campaign, Contact, Item, Presenter, Program

__all__ = [
    "BroadcastViewSet",
    "CampaignViewSet",
    "ContactViewSet",
    "ItemViewSet",
    "PresenterViewSet",
    "ProgramViewSet",
]

_ID = re.compile(r"[0-9]{1,19}")


class DeletedObjectConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This object is deleted; recover it before changing it."
    default_code = "deleted"


class StationRecordViewSet(viewsets.ModelViewSet):
    model = None
    permission_classes = [IsAuthenticated, BelongsToKeyStation]
    lookup_value_regex = "[^/]+"  # any id reaches get_object, which answers a JSON 404
    prefetch: tuple = ()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.all_objects.none()
        queryset = self.model.all_objects.prefetch_related(*self.prefetch)
        if self.action == "list":
            queryset = queryset.filter(station_id=self.request.auth.station_id)
        return queryset

    def get_object(self):
        """Any station's row, deleted or not, so the permission can tell "another
        station's" (403) from "no such object" (404). List filters do not apply."""
        pk = self.kwargs["pk"]
        if not _ID.fullmatch(pk) or int(pk) > MAX_ID:
            raise NotFound()
        obj = self.get_queryset().filter(pk=int(pk)).first()
        if obj is None:
            raise NotFound()
        self.check_object_permissions(self.request, obj)
        if self.action in ("update", "partial_update"):
            obj.snapshot()  # to tell a change from a no-op save
        return obj

    @contextmanager
    def acting_as_key(self) -> Iterator[None]:
        """One transaction per write, whose changes go out as one push message per object
        (a create that also sets links is one `create`), with the key as `api_id`."""
        with acting_as(api_key_id=self.request.auth.pk), transaction.atomic(), change_batch():
            yield

    def perform_create(self, serializer):
        with self.acting_as_key():
            serializer.save(station=self.request.auth.station)

    def perform_update(self, serializer):
        if serializer.instance.deleted_at is not None:
            raise DeletedObjectConflict()
        with self.acting_as_key():
            serializer.save()

    def perform_destroy(self, instance):
        with self.acting_as_key():
            instance.delete()

    @extend_schema(request=None, summary="Recover a soft-deleted object")
    @action(detail=True, methods=["post"])
    def recover(self, request, pk=None):
        instance = self.get_object()
        with self.acting_as_key():
            instance.recover()
        return Response(self.get_serializer(instance).data)


def _live_ids(model) -> QuerySet:
    """Linked objects as ids: one query per page, soft-deleted ones left out."""
    return model.objects.only("id")


class ProgramViewSet(StationRecordViewSet):
    """Programs: the shows; a broadcast is one airing of a program."""

    model = Program
    serializer_class = serializers.ProgramSerializer
    filterset_class = filters.ProgramFilter
    prefetch = (Prefetch("presenters", queryset=_live_ids(Presenter)),)
    ordering_fields = ["id", "title", "created_at", "updated_at"]
    ordering = ["title", "id"]


class BroadcastViewSet(StationRecordViewSet):
    """Broadcasts: the schedule. Filter a window with `start_min` and `start_max`."""

    model = Broadcast
    serializer_class = serializers.BroadcastSerializer
    filterset_class = filters.BroadcastFilter
    prefetch = (Prefetch("presenters", queryset=_live_ids(Presenter)),)
    ordering_fields = ["id", "start", "stop", "title", "created_at", "updated_at"]
    ordering = ["start", "id"]


class ItemViewSet(StationRecordViewSet):
    """Items: what plays inside a broadcast (tracks, ads, talk)."""

    model = Item
    serializer_class = serializers.ItemSerializer
    filterset_class = filters.ItemFilter
    prefetch = (Prefetch("contacts", queryset=_live_ids(Contact)),)
    ordering_fields = ["id", "start", "title", "duration", "created_at", "updated_at"]
    ordering = ["start", "id"]


class PresenterViewSet(StationRecordViewSet):
    """Presenters: the voices of programs and broadcasts."""

    model = Presenter
    serializer_class = serializers.PresenterSerializer
    filterset_class = filters.PresenterFilter
    ordering_fields = ["id", "name", "firstname", "lastname", "created_at", "updated_at"]
    ordering = ["lastname", "firstname", "id"]


class ContactViewSet(StationRecordViewSet):
    """Contacts: people linked to items (advertisers, guests)."""

    model = Contact
    serializer_class = serializers.ContactSerializer
    filterset_class = filters.ContactFilter
    ordering_fields = ["id", "firstname", "lastname", "created_at", "updated_at"]
    ordering = ["lastname", "firstname", "id"]


class CampaignViewSet(StationRecordViewSet):
    """Campaigns: advertising runs between `start` and `stop`; items belong to them."""

    model = Campaign
    serializer_class = serializers.CampaignSerializer
    filterset_class = filters.CampaignFilter
    ordering_fields = ["id", "start", "stop", "title", "created_at", "updated_at"]
    ordering = ["start", "id"]
