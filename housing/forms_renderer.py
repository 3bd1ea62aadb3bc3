"""Renders Django forms as GOV.UK Design System markup.

settings.FORM_RENDERER points here, so `{{ form }}` gives each field a govuk-form-group with
its label, hint, error message and a GOV.UK-classed input (see templates/components/forms/).
`{{ form.field_name.as_field_group }}` renders one field the same way; pair a form with
`{% include "components/error_summary.html" with form=form %}` at the top of the page.

Widget classes come from the `govuk_widget` tag in housing/templatetags/ui.py; a form can add
its own (`attrs={"class": "govuk-input--width-10"}`) and they are kept.
"""

from functools import cache

from django.forms.renderers import DjangoTemplates, TemplatesSetting
from django.template import TemplateDoesNotExist


@cache
def _builtin_renderer() -> DjangoTemplates:
    return DjangoTemplates()


class GovukFormRenderer(TemplatesSetting):
    form_template_name = "components/forms/form.html"
    field_template_name = "components/forms/field.html"
    formset_template_name = "components/forms/formset.html"

    def get_template(self, template_name):
        # Our templates (and any project override) come from settings.TEMPLATES. Django's own
        # widget templates (django/forms/widgets/*.html) are found there only when
        # "django.forms" is in INSTALLED_APPS, so fall back to Django's built-in set.
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return _builtin_renderer().get_template(template_name)
