"""Serializers for the six push models (RadioManager v2 field names) and the inbound hooks.

Related ids (program, broadcast, campaign, presenters, contacts) must name live objects
of the key's station; anything else is a 400 on that field. The one exception keeps
round trips working: a foreign key may stay pointed at an object that has since been
soft-deleted. Model rules the database enforces (stop after start, duration not
negative) are checked here first, so they answer 400 rather than fail on save; DRF's
date-time fields convert every input to UTC and refuse ones that overflow.
"""

from datetime import UTC, timedelta

from rest_framework import serializers

from guards.json_input import JSONInputError, check_json_value
from stations.api import MAX_ID
from stations.choices import EncoderStatus
from stations.models import (
    Broadcast,
    Campaign,
    Contact,
    Item,
    Presenter,
    Program,
    TrackPlay,
)

__all__ = [
    "BroadcastSerializer",
    "CampaignSerializer",
    "ContactSerializer",
    "EncoderStatusReportSerializer",
    "EncoderStatusSerializer",
    "ItemSerializer",
    "PresenterSerializer",
    "ProgramSerializer",
    "TrackPlaySerializer",
    "TrackReportSerializer",
]

MAX_INT32 = 2**31 - 1


class StationObjectField(serializers.PrimaryKeyRelatedField):
    """The id of an object of the requesting key's station: a live one, or (for a
    foreign key) the one the object being updated already points at."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            pk = int(data)
        except ValueError:
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= pk <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(pk)

    def get_queryset(self):
        queryset = super().get_queryset().filter(station_id=self.context["request"].auth.station_id)
        live = queryset.filter(deleted_at__isnull=True)
        instance = getattr(self.parent, "instance", None)
        current_id = getattr(instance, f"{self.source}_id", None) if instance else None
        if current_id is not None:
            return live | queryset.filter(pk=current_id)
        return live


def _station_objects(model, **kwargs) -> StationObjectField:
    return StationObjectField(queryset=model.all_objects.all(), **kwargs)


class StationRecordSerializer(serializers.ModelSerializer):
    """Fields every push model has. `deleted_at` is set on a soft-deleted object."""

    station_id = serializers.IntegerField(read_only=True)
    deleted_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="Set when the object is soft-deleted; `POST .../{id}/recover/` clears it.",
    )
    field_values = serializers.DictField(
        required=False, help_text="Custom fields, as a JSON object."
    )

    common_fields = ["id", "station_id", "created_at", "updated_at", "deleted_at"]

    def validate_field_values(self, value: dict) -> dict:
        """The parser has applied the JSON input rules; NUL, fine in JSON, is refused
        here because no PostgreSQL jsonb column takes it."""
        try:
            check_json_value(value, allow_nul=False)
        except JSONInputError as error:
            raise serializers.ValidationError(str(error)) from None
        return value


class StartStopMixin:
    def validate(self, attrs):
        attrs = super().validate(attrs)
        start = attrs.get("start", getattr(self.instance, "start", None))
        stop = attrs.get("stop", getattr(self.instance, "stop", None))
        if start and stop and stop <= start:
            raise serializers.ValidationError({"stop": "Stop must be after start."})
        return attrs


class PresenterSerializer(StationRecordSerializer):
    """A presenter: a voice of programs and broadcasts."""

    class Meta:
        model = Presenter
        fields = [
            *StationRecordSerializer.common_fields,
            "firstname",
            "lastname",
            "name",
            "active",
            "field_values",
        ]


class ContactSerializer(StationRecordSerializer):
    """A contact: a person linked to items (advertiser, guest)."""

    class Meta:
        model = Contact
        fields = [
            *StationRecordSerializer.common_fields,
            "firstname",
            "lastname",
            "email",
            "phone",
            "field_values",
        ]


class ProgramSerializer(StationRecordSerializer):
    """A program (show); its broadcasts are the airings."""

    presenters = _station_objects(Presenter, many=True, required=False)

    class Meta:
        model = Program
        fields = [
            *StationRecordSerializer.common_fields,
            "title",
            "description",
            "short_name",
            "medium_name",
            "website",
            "email",
            "language",
            "disabled",
            "recommended",
            "genre",
            "presenters",
            "field_values",
        ]


class CampaignSerializer(StartStopMixin, StationRecordSerializer):
    """A campaign: an advertising run from `start` to `stop`."""

    class Meta:
        model = Campaign
        fields = [
            *StationRecordSerializer.common_fields,
            "title",
            "description",
            "recommended",
            "start",
            "stop",
            "field_values",
        ]


class BroadcastSerializer(StartStopMixin, StationRecordSerializer):
    """A broadcast: one airing of a program, from `start` to `stop`."""

    program = _station_objects(Program)
    presenters = _station_objects(Presenter, many=True, required=False)

    class Meta:
        model = Broadcast
        fields = [
            *StationRecordSerializer.common_fields,
            "program",
            "title",
            "description",
            "short_name",
            "medium_name",
            "website",
            "email",
            "language",
            "published",
            "recommended",
            "start",
            "stop",
            "presenters",
            "field_values",
        ]


class ItemSerializer(StationRecordSerializer):
    """An item in a broadcast (track, ad, talk); `stop` is start + duration."""

    broadcast = _station_objects(Broadcast)
    campaign = _station_objects(Campaign, required=False, allow_null=True)
    contacts = _station_objects(Contact, many=True, required=False)
    stop = serializers.DateTimeField(read_only=True, help_text="start + duration.")

    class Meta:
        model = Item
        fields = [
            *StationRecordSerializer.common_fields,
            "broadcast",
            "campaign",
            "title",
            "external_id",
            "duration",
            "status",
            "details",
            "recommended",
            "static_start",
            "start",
            "stop",
            "contacts",
            "field_values",
        ]
        extra_kwargs = {
            "duration": {"min_value": 0, "max_value": MAX_INT32, "help_text": "Seconds."}
        }

    def validate(self, attrs):
        attrs = super().validate(attrs)
        start = attrs.get("start", getattr(self.instance, "start", None))
        duration = attrs.get("duration", getattr(self.instance, "duration", 0))
        try:
            (start + timedelta(seconds=duration)).astimezone(UTC)
        except OverflowError:
            raise serializers.ValidationError(
                {"duration": "start + duration is past the last supported date."}
            ) from None
        return attrs


class TrackReportSerializer(serializers.Serializer):
    """What a playout system reports when a track starts."""

    title = serializers.CharField(max_length=300)
    artist = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    album = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    duration = serializers.IntegerField(
        min_value=0, max_value=MAX_INT32, required=False, default=0, help_text="Seconds."
    )
    external_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="The playout system's own id for the track.",
    )


def _track_play_help(field: str) -> str:
    return TrackPlay._meta.get_field(field).help_text


# Declared field by field, not a ModelSerializer: that one rebuilds its fields from the
# model on every instance, i.e. on every now-playing request. (A docstring here would
# become the schema's description.)
class TrackPlaySerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id", read_only=True, help_text="`med_...`")
    title = serializers.CharField(read_only=True)
    artist = serializers.CharField(read_only=True)
    album = serializers.CharField(read_only=True)
    duration = serializers.IntegerField(read_only=True, help_text=_track_play_help("duration"))
    external_id = serializers.CharField(read_only=True, help_text=_track_play_help("external_id"))
    played_at = serializers.DateTimeField(read_only=True)


class EncoderStatusReportSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=EncoderStatus.choices)


class EncoderStatusSerializer(serializers.Serializer):
    """The answer to a status report (an EncoderStatusReport)."""

    id = serializers.CharField(source="encoder.public_id", help_text="`enc_...`")
    name = serializers.CharField(source="encoder.name")
    status = serializers.ChoiceField(source="encoder.status", choices=EncoderStatus.choices)
    previous_status = serializers.ChoiceField(
        choices=EncoderStatus.choices, help_text="The status before this report."
    )
    changed = serializers.BooleanField(
        help_text="False when the report repeated the status: then no event was raised."
    )


class StreamStatusReportSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["up", "down"])
    silence = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Whether the reporter heard silence; counts as down only when silence "
        "detection is on for the stream.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class StreamStatusSerializer(serializers.Serializer):
    """The stream's state after a status report."""

    id = serializers.UUIDField(source="stream.uuid")
    name = serializers.CharField(source="stream.name")
    status = serializers.SerializerMethodField()
    silence = serializers.BooleanField(source="check.silence", allow_null=True)
    checked_at = serializers.DateTimeField(source="check.checked_at")

    def get_status(self, report) -> str:
        return "up" if report["stream"].is_up else "down"
