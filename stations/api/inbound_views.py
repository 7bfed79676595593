"""Inbound hooks: now playing, encoder status, and Icecast's metadata update.

Thin views: they authenticate, validate and call stations.inbound, which records the
report and raises the xtra-style event (the now-playing hooks: right after answering).
"""

import base64
import binascii
import uuid

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import authentication, exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from stations.actors import acting_as
from stations.api.authentication import ApiClient
from stations.api.key_failures import api_key_attempt
from stations.api.permissions import BelongsToKeyStation
from stations.api.serializers import (
    EncoderStatusReportSerializer,
    EncoderStatusSerializer,
    StreamStatusReportSerializer,
    StreamStatusSerializer,
    TrackPlaySerializer,
    TrackReportSerializer,
)
from stations.choices import TrackSource
from stations.icecast import IcecastQueryError, iceresponse, parse_metadata_query
from stations.inbound import encoder_report_status, track_play_receive
from stations.models import Encoder, Stream, TrackPlay
from stations.models.public_ids import ENCODER_PUBLIC_ID
from stations.monitor import report_stream_status

__all__ = ["EncoderStatusView", "IcecastMetadataView", "StreamStatusView", "TrackPlayView"]


class TrackPlayView(APIView):
    @extend_schema(
        summary="Report the track that started playing",
        description="Records the play and answers 201 once it is stored; "
        "`station.studio.newtrack` goes to the station's now-playing webhooks right after, "
        "in the order the plays arrived. `track.id` in the event is the `id` answered.",
        request=TrackReportSerializer,
        responses={201: TrackPlaySerializer},
    )
    def post(self, request):
        report = TrackReportSerializer(data=request.data)
        report.is_valid(raise_exception=True)
        play = track_play_receive(
            station_id=request.auth.station_id,
            api_key_id=request.auth.pk,
            **report.validated_data,
        )
        return Response(TrackPlaySerializer(play).data, status=status.HTTP_201_CREATED)


class EncoderStatusView(APIView):
    permission_classes = [IsAuthenticated, BelongsToKeyStation]

    @extend_schema(
        summary="Report an encoder's status",
        description="Raises `station.encoder.statuschange` when the status differs from "
        "the stored one; a repeated status changes nothing and raises nothing.",
        parameters=[
            OpenApiParameter(
                "encoder_id",
                str,
                OpenApiParameter.PATH,
                description="The encoder's public id (`enc_...`), as shown in the admin "
                "and sent in `station.encoder.statuschange` events.",
            )
        ],
        request=EncoderStatusReportSerializer,
        responses={200: EncoderStatusSerializer},
    )
    def post(self, request, encoder_id: str):
        encoder = (
            Encoder.objects.filter(public_id=encoder_id).first()
            if ENCODER_PUBLIC_ID.fullmatch(encoder_id)
            else None
        )
        if encoder is None:
            raise exceptions.NotFound("No encoder with this id.")
        self.check_object_permissions(request, encoder)
        report = EncoderStatusReportSerializer(data=request.data)
        report.is_valid(raise_exception=True)
        with acting_as(api_key_id=request.auth.pk):
            outcome = encoder_report_status(encoder=encoder, status=report.validated_data["status"])
        return Response(EncoderStatusSerializer(outcome).data)


class StreamStatusView(APIView):
    permission_classes = [IsAuthenticated, BelongsToKeyStation]

    @extend_schema(
        summary="Report a stream's status from an external monitor",
        description="Recorded as a check of the stream and fed to the alert policies, "
        "like the hub's own monitor checks.",
        parameters=[
            OpenApiParameter(
                "stream_id",
                str,
                OpenApiParameter.PATH,
                description="The stream's UUID, as sent in stream alerts.",
            )
        ],
        request=StreamStatusReportSerializer,
        responses={200: StreamStatusSerializer},
    )
    def post(self, request, stream_id: str):
        stream = Stream.objects.filter(uuid=stream_id).first() if _is_uuid(stream_id) else None
        if stream is None:
            raise exceptions.NotFound("No stream with this id.")
        self.check_object_permissions(request, stream)
        report = StreamStatusReportSerializer(data=request.data)
        report.is_valid(raise_exception=True)
        check = report_stream_status(
            stream=stream,
            is_up=report.validated_data["status"] == "up",
            silence=report.validated_data["silence"],
            reason=report.validated_data["reason"],
        )
        return Response(StreamStatusSerializer({"stream": stream, "check": check}).data)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class IcecastBasicAuthentication(authentication.BaseAuthentication):
    """HTTP Basic auth as playout software sends it to Icecast: any user name, the API
    key as password. Wrong keys count against the client's address like the API's."""

    def authenticate(self, request):
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("latin-1")
        except (binascii.Error, ValueError):
            api_key_attempt(request, "")  # counts as a failed attempt
            raise exceptions.AuthenticationFailed("Invalid credentials") from None
        _, _, password = decoded.partition(":")
        api_key = api_key_attempt(request, password)
        if api_key is None:
            raise exceptions.AuthenticationFailed("Authentication failed")
        return ApiClient(api_key=api_key), api_key

    def authenticate_header(self, request) -> str:
        return 'Basic realm="Icecast2 Server"'


def _iceresponse(message: str, *, http_status: int, success: bool = False) -> HttpResponse:
    return HttpResponse(
        iceresponse(message, success=success), status=http_status, content_type="text/xml"
    )


class IcecastMetadataView(APIView):
    """`GET /admin/metadata?mount=/live&mode=updinfo&song=Artist%20-%20Title`, answered
    as Icecast 2 answers it, so playout software configured for Icecast reports tracks
    unchanged. Raises the same `station.studio.newtrack` as the tracks hook. The mount is
    accepted and not used: the key says which station it is."""

    authentication_classes = [IcecastBasicAuthentication]
    http_method_names = ["get"]
    _TITLE_MAX = TrackPlay._meta.get_field("title").max_length
    _ARTIST_MAX = TrackPlay._meta.get_field("artist").max_length

    @extend_schema(exclude=True)
    def get(self, request):
        raw_query = request.META.get("QUERY_STRING", "")
        try:
            query = raw_query.encode("latin-1")  # WSGI hands the raw bytes over as Latin-1
        except UnicodeEncodeError:
            query = raw_query.encode("utf-8")
        try:
            update = parse_metadata_query(query)
        except IcecastQueryError as error:
            return _iceresponse(str(error), http_status=status.HTTP_400_BAD_REQUEST)
        track_play_receive(
            station_id=request.auth.station_id,
            api_key_id=request.auth.pk,
            title=update.title[: self._TITLE_MAX],
            artist=update.artist[: self._ARTIST_MAX],
            source=TrackSource.ICECAST,
        )
        return _iceresponse(
            "Metadata update successful", http_status=status.HTTP_200_OK, success=True
        )

    def handle_exception(self, exc):
        """Errors (401, 405, 429 ...) in Icecast's XML, keeping DRF's status and headers."""
        response = super().handle_exception(exc)
        detail = response.data.get("detail", "Error") if isinstance(response.data, dict) else ""
        xml = _iceresponse(str(detail), http_status=response.status_code)
        for header in ("WWW-Authenticate", "Retry-After", "Allow"):
            if header in response:
                xml[header] = response[header]
        return xml
