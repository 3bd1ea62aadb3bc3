"""The voids admin: the void inspection's checklist, which administrators keep (each item's
SOR code is checked against the Schedule of Rates, so an inspection never meets a code it
cannot price), and voids to look at, read-only with their stage history. A void changes only
through its services (voids.services, voids.works), each move with its history row."""

from django import forms
from django.contrib import admin

from repairs.models import SorCode
from voids.models import ChecklistItem, StageChange, VoidPeriod


class ChecklistItemForm(forms.ModelForm):
    class Meta:
        model = ChecklistItem
        fields = ["label", "sor_code", "default_quantity", "order", "active"]

    def clean_sor_code(self) -> str:
        code = " ".join((self.cleaned_data.get("sor_code") or "").split()).upper()
        if not SorCode.objects.filter(code__iexact=code).exists():
            raise forms.ValidationError(
                f"{code or 'That code'} is not in the Schedule of Rates. Use a code listed under "
                f"Repairs, SOR codes (or import it first).")
        return code

    def clean_default_quantity(self):
        quantity = self.cleaned_data.get("default_quantity")
        if quantity is not None and quantity <= 0:
            raise forms.ValidationError("Enter a quantity more than 0.")
        return quantity


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    form = ChecklistItemForm
    list_display = ["label", "sor_code", "default_quantity", "order", "active"]
    list_editable = ["order", "active"]
    list_filter = ["active"]
    search_fields = ["label", "sor_code"]
    ordering = ["order", "label"]

    def has_delete_permission(self, request, obj=None):
        # Past inspections keep their own copy of the lines: an item no longer used is made
        # inactive, which keeps the list's history readable.
        return False


class StageChangeInline(admin.TabularInline):
    model = StageChange
    fields = ["stage", "on", "summary", "note", "by", "at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(VoidPeriod)
class VoidPeriodAdmin(admin.ModelAdmin):
    list_display = ["reference", "property", "stage", "void_type", "start_date", "let_date"]
    list_filter = ["stage", "void_type"]
    search_fields = ["reference", "property__uprn", "property__address_line_1",
                     "property__postcode"]
    list_select_related = ["property"]
    inlines = [StageChangeInline]
    date_hierarchy = "start_date"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
