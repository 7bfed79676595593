from rest_framework.permissions import BasePermission

__all__ = ["BelongsToKeyStation"]


class BelongsToKeyStation(BasePermission):
    """An object of another station is refused with 403 (lists never show one)."""

    message = "This object belongs to another station."

    def has_object_permission(self, request, view, obj) -> bool:
        return obj.station_id == request.auth.station_id
