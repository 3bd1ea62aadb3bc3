"""The admin for the property register and people, with the imports a council uses to bring its
data across (housing.resources, tenancies.resources).

The admin is the system administrators' tool. Confidential records (alerts, equality data)
follow the same rule as everywhere else: only users granted the record see it, and each
opening of one is logged (housing.access).
"""

import csv
import io

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from guardian.admin import GuardedModelAdminMixin
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ExportForm, ImportForm
from simple_history.admin import SimpleHistoryAdmin

from housing.access import log_confidential_read, scope_for_user
from housing.models import (
    Adaptation,
    Alert,
    AttributeDefinition,
    Block,
    EqualityData,
    Estate,
    Person,
    Property,
    PropertyAttribute,
)
from housing.resources import BlockResource, EstateResource, PersonResource, PropertyResource


class CouncilImportForm(ImportForm):
    """The library's import form without its jQuery (which the Content-Security-Policy
    refuses): the format is taken from the file's extension here instead of in the browser."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.formats = formats
        field = self.fields["format"]
        field.required = False
        field.choices = [("", "From the file name (.csv or .xlsx)"), *field.choices[1:]]
        for name in ("import_file", "format"):
            self.fields[name].widget.attrs.pop("class", None)

    @property
    def media(self):
        return forms.Media()

    def clean(self):
        data = super().clean()
        upload = data.get("import_file")
        if upload is not None and not data.get("format"):
            extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
            for index, file_format in enumerate(self.formats):
                if file_format().get_extension() == extension:
                    data["format"] = str(index)
                    break
            else:
                self.add_error("import_file", "Upload a .csv or an .xlsx file.")
        return data


class CouncilImportExportAdmin(ImportExportModelAdmin):
    """Import (with its dry run and confirm step) and export, as CSV or Excel. The import page
    documents the file's columns (the resource's `columns`), and lists every bad row."""

    formats = [CSV, XLSX]
    import_form_class = CouncilImportForm
    # Every column, always: an export is a file to correct and import again. (The library's
    # column picker also relies on inline scripts, which the Content-Security-Policy refuses.)
    export_form_class = ExportForm
    import_template_name = "admin/imports/import.html"

    def has_import_permission(self, request):
        opts = self.opts
        return all(request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
                   for action in ("add", "change"))

    def has_export_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}")

    def get_context_data(self, **kwargs):
        resource_class = self.resource_classes[0]
        columns = resource_class.columns
        example = io.StringIO()
        writer = csv.writer(example, lineterminator="\n")
        writer.writerow([column.name for column in columns])
        writer.writerow([column.example for column in columns])
        return {
            "import_summary": (resource_class.__doc__ or "").strip(),
            "import_columns": columns,
            "import_example": example.getvalue(),
        }

    def process_result(self, result, request):
        # The confirmed import found a problem the dry run did not (the records changed in
        # between). The import was rolled back: show why instead of "Import finished".
        if result.has_errors() or result.has_validation_errors():
            form = self.get_import_form_class(request)(
                self.get_import_formats(), self.get_import_resource_classes(request))
            context = {
                **self.admin_site.each_context(request),
                **self.get_import_context_data(),
                "title": "Import",
                "form": form,
                "opts": self.model._meta,
                "media": self.media + form.media,
                "result": result,
                "fields_list": [],
                "import_error_display": self.import_error_display,
            }
            request.current_app = self.admin_site.name
            return TemplateResponse(request, [self.import_template_name], context)
        return super().process_result(result, request)


class ConfidentialAdmin(GuardedModelAdminMixin, admin.ModelAdmin):
    """Only users granted this very record see it; each opening of one is logged.
    "Object permissions" on a record grants a named user `view_<model>` on it."""

    def get_queryset(self, request):
        return scope_for_user(request.user, super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            log_confidential_read(user=request.user, obj=obj, request=request)
        return obj


# --- The register ------------------------------------------------------------------------

@admin.register(Estate)
class EstateAdmin(CouncilImportExportAdmin, SimpleHistoryAdmin):
    resource_classes = [EstateResource]
    list_display = ["name", "code", "patch"]
    list_filter = ["patch"]
    list_select_related = ["patch"]
    search_fields = ["name", "code"]


@admin.register(Block)
class BlockAdmin(CouncilImportExportAdmin, SimpleHistoryAdmin):
    resource_classes = [BlockResource]
    list_display = ["name", "code", "estate", "storeys", "has_lift"]
    list_filter = ["has_lift", "estate__patch"]
    list_select_related = ["estate"]
    search_fields = ["name", "code", "estate__name"]


@admin.register(Adaptation)
class AdaptationAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(AttributeDefinition)
class AttributeDefinitionAdmin(admin.ModelAdmin):
    list_display = ["name", "value_type", "help_text"]
    list_filter = ["value_type"]
    search_fields = ["name"]


class PropertyAttributeForm(forms.ModelForm):
    VALUE_FIELDS = {
        AttributeDefinition.ValueType.TEXT: "value_text",
        AttributeDefinition.ValueType.NUMBER: "value_number",
        AttributeDefinition.ValueType.YES_NO: "value_bool",
        AttributeDefinition.ValueType.DATE: "value_date",
    }

    class Meta:
        model = PropertyAttribute
        fields = ["definition", "value_text", "value_number", "value_bool", "value_date"]

    def clean(self):
        data = super().clean()
        definition = data.get("definition")
        if definition is not None:
            wanted = self.VALUE_FIELDS[definition.value_type]
            if data.get(wanted) in (None, ""):
                kind = definition.get_value_type_display().lower()
                self.add_error(wanted, f"{definition} is a {kind} attribute: fill in this value.")
            for other in set(self.VALUE_FIELDS.values()) - {wanted}:
                if data.get(other) not in (None, ""):
                    self.add_error(other, f"{definition} takes its value in "
                                          f"{self.fields[wanted].label.lower()}; leave this "
                                          f"blank.")
        return data


class PropertyAttributeInline(admin.TabularInline):
    model = PropertyAttribute
    form = PropertyAttributeForm
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("definition")


@admin.register(Property)
class PropertyAdmin(CouncilImportExportAdmin, SimpleHistoryAdmin):
    """Homes are added and changed on the Properties pages (housing.services keeps their
    rules and audit) or imported; here an administrator looks them up and records their
    attributes."""

    resource_classes = [PropertyResource]
    list_display = ["uprn", "short_address", "kind", "property_type", "bedrooms", "tenure",
                    "estate", "block", "patch"]
    list_filter = ["tenure", "kind", "property_type", "bedrooms", "patch", "estate"]
    list_select_related = ["estate", "block__estate", "patch"]
    search_fields = ["uprn", "address_line_1", "postcode"]
    inlines = [PropertyAttributeInline]
    readonly_fields = ["page", "uprn", "kind", "property_type", "estate", "block",
                       "address_line_1", "address_line_2", "town", "postcode", "bedrooms",
                       "floor_level", "build_year", "tenure", "patch", "adaptations"]

    @admin.display(description="Address", ordering="address_line_1")
    def short_address(self, obj):
        return obj.short_address

    @admin.display(description="Change the home")
    def page(self, obj):
        return format_html('<a href="{}">On its page in the Properties module</a>',
                           reverse("properties:edit", args=[obj.pk]))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        pass  # the home's own fields are read-only here; only its attributes are saved


# --- People ------------------------------------------------------------------------------

@admin.register(Person)
class PersonAdmin(CouncilImportExportAdmin, SimpleHistoryAdmin):
    """People are read-only here: contact details change on their page (housing.services), a
    change of name is a tenancy event (tenancies.services.change_name), and people come in by
    sign-up or import."""

    resource_classes = [PersonResource]
    list_display = ["last_name", "first_name", "date_of_birth", "mobile_phone", "email",
                    "preferred_contact_method"]
    list_filter = ["preferred_contact_method", "large_print", "interpreter_needed"]
    search_fields = ["first_name", "last_name", "preferred_name", "email", "mobile_phone",
                     "home_phone", "ni_number"]
    fieldsets = [
        (None, {"fields": ["page", "title", "first_name", "last_name", "preferred_name",
                           "date_of_birth", "ni_number"]}),
        ("Contact", {"fields": ["mobile_phone", "home_phone", "email", "correspondence_address",
                                "correspondence_postcode", "preferred_contact_method"]}),
        ("Communication needs", {"fields": ["large_print", "interpreter_needed", "language",
                                            "other_needs"]}),
    ]
    readonly_fields = ["page"]

    @admin.display(description="Change their details")
    def page(self, obj):
        return format_html('<a href="{}">On their page in the Tenancies module</a>',
                           reverse("people:edit", args=[obj.pk]))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(ConfidentialAdmin):
    list_display = ["__str__", "category", "person", "property", "safety_flag", "flag_text",
                    "start_date", "end_date"]
    list_filter = ["category", "safety_flag"]
    list_select_related = ["person", "property"]
    autocomplete_fields = ["person", "property"]


@admin.register(EqualityData)
class EqualityDataAdmin(ConfidentialAdmin):
    list_display = ["__str__", "person"]
    list_select_related = ["person"]
    autocomplete_fields = ["person"]
