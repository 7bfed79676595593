"""The system tables (users, groups, django-q2's task queue) in the hub's theme: the stock
admins of django.contrib.auth and django-q2, registered again on the theme's base class
so their pages look and behave like the rest of the admin (their lists refuse query
strings they cannot turn into SQL, as every list of the hub's does)."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as StockGroupAdmin
from django.contrib.auth.admin import UserAdmin as StockUserAdmin
from django.contrib.auth.models import Group, User
from django_q import admin as task_queue_admin
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from stations.scoping import CheckedLookupsAdmin

__all__ = ["GroupAdmin", "UserAdmin"]


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(CheckedLookupsAdmin, StockUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm


@admin.register(Group)
class GroupAdmin(CheckedLookupsAdmin, StockGroupAdmin, ModelAdmin):
    pass


def _themed(stock: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    return type(stock.__name__, (CheckedLookupsAdmin, stock, ModelAdmin), {})


for _model, _stock in list(admin.site._registry.items()):
    if type(_stock).__module__ == task_queue_admin.__name__:
        admin.site.unregister(_model)
        admin.site.register(_model, _themed(type(_stock)))
