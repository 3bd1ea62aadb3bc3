"""The tenancies admin: look up, import and export tenancies.

Tenancies are read-only here. Every change to a tenancy is an event with its own service
(tenancies.services) and its own screen, so the admin neither adds nor edits them; the import
(tenancies.resources) is the one way in besides sign-up, for data from the old system.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from housing.admin_register import CouncilImportExportAdmin
from tenancies.models import Tenancy, TenancyEvent, TenancyMember
from tenancies.resources import TenancyResource


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TenancyMemberInline(ReadOnlyInline):
    model = TenancyMember
    fields = ["person", "role", "relationship", "start_date", "end_date"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")


class TenancyEventInline(ReadOnlyInline):
    model = TenancyEvent
    fields = ["effective_date", "kind", "summary", "recorded_by", "recorded_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


@admin.register(Tenancy)
class TenancyAdmin(CouncilImportExportAdmin, SimpleHistoryAdmin):
    resource_classes = [TenancyResource]
    list_display = ["reference", "property", "tenancy_type", "start_date", "end_date",
                    "end_reason"]
    list_filter = ["tenancy_type", ("end_date", admin.EmptyFieldListFilter), "end_reason"]
    list_select_related = ["property"]
    search_fields = ["reference", "property__uprn", "property__postcode",
                     "members__person__last_name"]
    date_hierarchy = "start_date"
    inlines = [TenancyMemberInline, TenancyEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
