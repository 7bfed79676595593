"""Inbound hooks: now playing and encoder status.

Thin views: they authenticate, validate and call stations.inbound, which records the
report and raises the xtra-style event.
"""

import re

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from stations.actors import acting_as
from stations.api.permissions import BelongsToKeyStation
from stations.api.serializers import (
    EncoderStatusReportSerializer,
    EncoderStatusSerializer,
    TrackPlaySerializer,
    TrackReportSerializer,
)
from stations.inbound import encoder_report_status, track_play_record
from stations.models import Encoder

__all__ = ["EncoderStatusView", "TrackPlayView"]

_ENCODER_ID = re.compile(r"enc_[0-9a-zA-Z]{1,28}")


class TrackPlayView(APIView):
    @extend_schema(
        summary="Report the track that started playing",
        description="Records the play and raises `station.studio.newtrack` to the "
        "station's now-playing webhooks. `track.id` in the event is the `id` answered.",
        request=TrackReportSerializer,
        responses={201: TrackPlaySerializer},
    )
    def post(self, request):
        report = TrackReportSerializer(data=request.data)
        report.is_valid(raise_exception=True)
        with acting_as(api_key_id=request.auth.pk):
            play = track_play_record(station=request.auth.station, **report.validated_data)
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
            if _ENCODER_ID.fullmatch(encoder_id)
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
