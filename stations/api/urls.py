"""/api/v1/: the six push models (router) and the inbound hooks."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from stations.api import views
from stations.api.inbound_views import EncoderStatusView, StreamStatusView, TrackPlayView

app_name = "api"


class ApiRouter(DefaultRouter):
    include_format_suffixes = False


router = ApiRouter()
router.register("programs", views.ProgramViewSet, basename="program")
router.register("broadcasts", views.BroadcastViewSet, basename="broadcast")
router.register("items", views.ItemViewSet, basename="item")
router.register("presenters", views.PresenterViewSet, basename="presenter")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("campaigns", views.CampaignViewSet, basename="campaign")

urlpatterns = [
    path("studio/tracks/", TrackPlayView.as_view(), name="studio-tracks"),
    path("encoders/<str:encoder_id>/status/", EncoderStatusView.as_view(), name="encoder-status"),
    path("streams/<str:stream_id>/status/", StreamStatusView.as_view(), name="stream-status"),
    *router.urls,
]
