"""/api/v1/: the six push models."""

from rest_framework.routers import DefaultRouter

from stations.api import views

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

urlpatterns = router.urls
