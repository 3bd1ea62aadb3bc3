"""Template filters and tags for the GOV.UK-styled UI.

Registered as a template builtin in settings (TEMPLATES OPTIONS "builtins"), so templates
use these without `{% load %}`. The filters are pure functions: no database, no clock.

    {{ account.balance_pence|money }}        £1,234.56 / −£12.50
    {{ tenancy.start_date|govuk_date }}      29 November 2026
    {{ job.created_at|govuk_datetime }}      29 November 2026 at 9:05pm (Europe/London)
    <a href="{% url_replace page=2 %}">      ?q=smith&page=2 (keeps the other GET params)
"""

from datetime import date, datetime
from decimal import Decimal

from django import forms, template
from django.conf import settings
from django.http import QueryDict
from django.utils import timezone

from housing.money import format_pence

register = template.Library()

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
# U+2212, which screen readers read as "minus"; a hyphen is often read as "dash".


# --- Money and dates ------------------------------------------------------------------------


@register.filter
def money(pence) -> str:
    """Integer pence as pounds: 123456 -> "£1,234.56", -1250 -> "−£12.50", None -> ""."""
    if pence is None or pence == "":
        return ""
    if isinstance(pence, bool) or isinstance(pence, float):
        # Money is never a float (STYLE.md); showing one would hide a rounding bug.
        raise TypeError(f"money expects integer pence, got {pence!r}")
    if isinstance(pence, Decimal):
        if pence != pence.to_integral_value():
            raise TypeError(f"money expects whole pence, got {pence!r}")
    return format_pence(int(pence))


def _local(value: datetime) -> datetime:
    """An aware datetime in the site's time zone (Europe/London); naive ones as they are."""
    if timezone.is_aware(value):
        return timezone.localtime(value)
    return value


@register.filter
def govuk_date(value) -> str:
    """A date (or datetime, in local time) as GOV.UK writes it: "29 November 2026"."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = _local(value)
    if not isinstance(value, date):
        raise TypeError(f"govuk_date expects a date or datetime, got {value!r}")
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


@register.filter
def govuk_time(value) -> str:
    """A time as GOV.UK writes it: "9:05pm", "9am", "midday", "midnight"."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = _local(value)
    hour, minute = value.hour, value.minute
    if minute == 0 and hour == 0:
        return "midnight"
    if minute == 0 and hour == 12:
        return "midday"
    suffix = "am" if hour < 12 else "pm"
    hour12 = hour % 12 or 12
    return f"{hour12}{suffix}" if minute == 0 else f"{hour12}:{minute:02d}{suffix}"


@register.filter
def govuk_datetime(value) -> str:
    """A datetime in Europe/London time: "29 November 2026 at 9:05pm". A plain date is
    shown as a date."""
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime):
        return govuk_date(value)
    value = _local(value)
    return f"{govuk_date(value)} at {govuk_time(value)}"


@register.filter
def percent_of(done, total) -> int:
    """Whole percent of `done` out of `total`, for progress bars: 9|percent_of:20 -> 45.
    Rounds down, so 99.6% never shows as finished; 0 when total is 0 or missing."""
    try:
        done, total = int(done or 0), int(total or 0)
    except (TypeError, ValueError):
        return 0
    if total <= 0:
        return 0
    return max(0, min(100, done * 100 // total))


# --- Links ----------------------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def url_replace(context, query_string=None, **changes) -> str:
    """This page's query string with some parameters changed, for pagination and sort
    links: `href="{% url_replace page=3 %}"` -> "?q=smith&page=3".

    The starting parameters are `query_string` when given (a string or QueryDict),
    otherwise the current request's GET (an undefined template variable arrives as "",
    so "" means "not given"). A change to None or "" removes the parameter.
    """
    if query_string is None or query_string == "":
        request = context.get("request")
        params = request.GET.copy() if request is not None else QueryDict(mutable=True)
    elif isinstance(query_string, QueryDict):
        params = query_string.copy()
    else:
        params = QueryDict(str(query_string).lstrip("?"), mutable=True)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


# --- Names that must work without a request (the 500 page) ----------------------------------

_NAMES = {"council": "COUNCIL_NAME", "service": "SERVICE_NAME"}


@register.simple_tag
def shell_name(which: str) -> str:
    """The council or service name from settings: {% shell_name "council" %}. The context
    processor gives pages `council_name`/`service_name`; this is for the 500 page, which is
    rendered without context processors."""
    return getattr(settings, _NAMES[which], "")


# --- Layouts --------------------------------------------------------------------------------


@register.filter
def layout_for(user) -> str:
    """The layout a signed-in user's account pages (MFA, password change) sit in: the
    portal's for tenants, the contractor portal's for contractors, staff otherwise."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "layouts/plain.html"
    if getattr(user, "is_tenant", False):
        return "layouts/portal.html"
    if getattr(user, "is_contractor", False):
        return "layouts/contractor.html"
    return "layouts/staff.html"


# --- Forms ----------------------------------------------------------------------------------


@register.filter
def widget_kind(bound_field) -> str:
    """Which GOV.UK pattern renders this field: "checkbox" (one box), "checkboxes",
    "radios", "select", "textarea", "file", "hidden", "multi" (several inputs) or
    "input"."""
    widget = bound_field.field.widget
    if widget.is_hidden:
        return "hidden"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        return "file"
    if isinstance(widget, forms.MultiWidget):
        return "multi"
    return "input"


_WIDGET_CLASSES = {
    "input": ("govuk-input", "govuk-input--error"),
    "multi": ("govuk-input", "govuk-input--error"),
    "select": ("govuk-select", "govuk-select--error"),
    "textarea": ("govuk-textarea", "govuk-textarea--error"),
    "file": ("govuk-file-upload", "govuk-file-upload--error"),
    "checkbox": ("govuk-checkboxes__input", ""),
}


@register.simple_tag
def govuk_widget(bound_field, classes: str = "", labelled_by: str = "") -> str:
    """Render a field's widget with GOV.UK classes added to any the form set itself
    (e.g. `attrs={"class": "govuk-input--width-10"}`). Django adds aria-describedby
    (hint, error) and aria-invalid. Placeholders are dropped: GOV.UK asks for hints
    instead, as placeholders vanish when typing and often fail contrast. `labelled_by`
    names the input(s) by another element's id (a MultiWidget's parts, by the legend)."""
    kind = widget_kind(bound_field)
    widget = bound_field.field.widget
    if kind == "hidden":
        return bound_field.as_widget()
    base, error = _WIDGET_CLASSES.get(kind, ("", ""))
    names = [base, widget.attrs.get("class", ""), classes]
    if bound_field.errors and error:
        names.append(error)
    attrs = {"class": " ".join(name for name in names if name).strip() or False}
    if widget.attrs.get("placeholder"):
        attrs["placeholder"] = False
    if labelled_by:
        attrs["aria-labelledby"] = labelled_by
    return bound_field.as_widget(attrs=attrs)


def _lower_first(label: str) -> str:
    """"Email address" -> "email address", but "RTB reference" stays as it is."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


@register.filter
def govuk_error(error, bound_field) -> str:
    """An error message as GOV.UK words it. Django's generic "This field is required."
    says nothing about which field in an error summary, so it becomes "Enter <label>"
    (text fields) or "Select <label>" (choices); every other message is kept."""
    if str(error) != str(forms.Field.default_error_messages["required"]):
        return error
    label = _lower_first(str(bound_field.label or bound_field.name))
    verb = "Select" if widget_kind(bound_field) in (
        "select", "radios", "checkboxes", "checkbox", "file") else "Enter"
    if widget_kind(bound_field) == "file":
        verb = "Choose"
    return f"{verb} {label}"


@register.simple_tag
def error_anchor(bound_field) -> str:
    """The id an error summary links to: the field's input, or the first of its radios,
    checkboxes or inputs (GOV.UK links to the first option)."""
    kind = widget_kind(bound_field)
    if kind in ("radios", "checkboxes", "multi"):
        return f"{bound_field.auto_id}_0"
    return bound_field.id_for_label or bound_field.auto_id or bound_field.html_name


# --- Components -----------------------------------------------------------------------------

# GOV.UK Frontend 6 tag colours. Blue is the plain tag, with no modifier class; the older
# names map to their replacements.
_TAG_CLASSES = {
    "blue": "", "": "", "light-blue": "",
    "grey": "govuk-tag--grey", "green": "govuk-tag--green", "teal": "govuk-tag--teal",
    "turquoise": "govuk-tag--teal", "purple": "govuk-tag--purple",
    "magenta": "govuk-tag--magenta", "pink": "govuk-tag--magenta",
    "red": "govuk-tag--red", "orange": "govuk-tag--orange", "yellow": "govuk-tag--yellow",
}


@register.filter
def tag_class(colour) -> str:
    """The class for a status tag colour: "green" -> "govuk-tag--green", "blue" -> ""."""
    return _TAG_CLASSES.get(str(colour or "").lower(), "govuk-tag--grey")


@register.filter
def summary_rows(rows) -> list[dict]:
    """Summary list rows as dicts with `key`, `value` and optional `href`/`action` (a
    "Change" link) and `html` (a value already marked safe). Accepts (key, value) pairs,
    (key, value, href) triples or dicts, so views can pass whichever reads best."""
    result = []
    for row in rows or ():
        if isinstance(row, dict):
            result.append({"action": "Change", **row})
        else:
            key, value, *rest = row
            result.append({"key": key, "value": value, "href": rest[0] if rest else None,
                           "action": "Change"})
    return result


@register.simple_tag
def pagination_pages(page_obj, on_each_side: int = 1, on_ends: int = 1) -> list:
    """Page numbers for GOV.UK pagination, with None where an ellipsis goes:
    page 6 of 12 -> [1, None, 5, 6, 7, None, 12]."""
    paginator = page_obj.paginator
    return [
        None if page == paginator.ELLIPSIS else page
        for page in paginator.get_elided_page_range(
            page_obj.number, on_each_side=on_each_side, on_ends=on_ends
        )
    ]


@register.simple_tag
def progress_percent(percent=None, done=None, total=None) -> int:
    """The whole percent a progress bar shows: `percent` when given (clamped to 0-100),
    otherwise worked out from `done` of `total`."""
    if percent is not None and percent != "":
        try:
            return max(0, min(100, int(percent)))
        except (TypeError, ValueError):
            return 0
    return percent_of(done, total)
