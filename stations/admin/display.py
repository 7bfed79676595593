"""What the hub's read-only admin pages share: the base of the logs it writes itself."""

from unfold.admin import TabularInline

__all__ = ["ReadOnlyAdminMixin", "ReadOnlyInline"]


class ReadOnlyAdminMixin:
    """For logs the hub writes itself (deliveries, checks, plays, resync jobs): nothing to
    add or change in the admin. `deletable = False` forbids deleting rows too."""

    deletable = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.deletable and super().has_delete_permission(request, obj)


class ReadOnlyInline(ReadOnlyAdminMixin, TabularInline):
    """A log shown inline: nothing to add, change or delete."""

    extra = 0
    deletable = False
