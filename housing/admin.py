from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.decorators import login_required
from guardian.admin import GuardedModelAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from housing.models import BackgroundJob, ConfidentialReadLog, Patch, User

# The admin signs in through allauth, so MFA and the rate limits apply there too.
admin.site.login = login_required(admin.site.login)


@admin.register(User)
class UserAdmin(GuardedModelAdminMixin, SimpleHistoryAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "kind", "is_active", "role_names"]
    list_filter = ["kind", "is_active", "groups", "patches"]
    search_fields = ["email", "first_name", "last_name"]
    filter_horizontal = ["groups", "user_permissions", "patches"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal details", {"fields": ["first_name", "last_name", "job_title"]}),
        ("Access", {"fields": ["kind", "is_active", "is_staff", "is_superuser", "groups",
                               "patches", "user_permissions"],
                    "description": "Roles are groups. Only council staff may be given admin "
                                   "access (is staff)."}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"],
                "fields": ["email", "first_name", "last_name", "kind", "groups", "patches",
                           "password1", "password2"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]

    @admin.display(description="Roles")
    def role_names(self, obj):
        return ", ".join(group.name for group in obj.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")


@admin.register(Patch)
class PatchAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BackgroundJob)
class BackgroundJobAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "status", "progress_done", "progress_total", "started_by",
                    "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["started_by"]


@admin.register(ConfidentialReadLog)
class ConfidentialReadLogAdmin(ReadOnlyAdmin):
    list_display = ["read_at", "user", "content_type", "object_repr", "path"]
    list_filter = ["content_type"]
    search_fields = ["user__email", "object_repr"]
    list_select_related = ["user", "content_type"]
from housing import admin_register  # noqa: E402,F401
