"""The UI template filters and tags: pure functions, no database."""

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.core.paginator import Paginator
from django.http import QueryDict
from django.template import Context, Template
from django.test import RequestFactory

from housing.templatetags.ui import (
    error_anchor,
    govuk_date,
    govuk_datetime,
    govuk_error,
    govuk_time,
    govuk_widget,
    layout_for,
    money,
    pagination_pages,
    percent_of,
    progress_percent,
    summary_rows,
    tag_class,
    url_replace,
    widget_kind,
)

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("pence", "shown"),
    [
        (0, "£0.00"),
        (1, "£0.01"),
        (99, "£0.99"),
        (100, "£1.00"),
        (123456, "£1,234.56"),
        (100000000, "£1,000,000.00"),
        (-1250, "\u2212£12.50"),
        (-1, "\u2212£0.01"),
        (None, ""),
        ("", ""),
        ("2500", "£25.00"),
        (Decimal("1999"), "£19.99"),
    ],
)
def test_money(pence, shown):
    assert money(pence) == shown


@pytest.mark.parametrize("bad", [12.5, True, Decimal("10.5")])
def test_money_refuses_floats_and_fractions_of_a_penny(bad):
    with pytest.raises(TypeError):
        money(bad)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (date(2026, 11, 29), "29 November 2026"),
        (date(2027, 1, 1), "1 January 2027"),
        (datetime(2026, 11, 29, 23, 30, tzinfo=UTC), "29 November 2026"),
        # 23:30 UTC in summer is 00:30 the next day in London (BST).
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "1 July 2026"),
        (datetime(2026, 6, 30, 23, 30), "30 June 2026"),  # naive: taken as it is
        (None, ""),
        ("", ""),
    ],
)
def test_govuk_date(value, shown):
    assert govuk_date(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (time(21, 5), "9:05pm"),
        (time(9, 0), "9am"),
        (time(0, 0), "midnight"),
        (time(12, 0), "midday"),
        (time(12, 30), "12:30pm"),
        (time(0, 15), "12:15am"),
        (None, ""),
    ],
)
def test_govuk_time(value, shown):
    assert govuk_time(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (datetime(2026, 11, 29, 21, 5, tzinfo=UTC), "29 November 2026 at 9:05pm"),  # GMT
        (datetime(2026, 7, 1, 20, 5, tzinfo=UTC), "1 July 2026 at 9:05pm"),  # BST
        (datetime(2026, 7, 1, 21, 5, tzinfo=LONDON), "1 July 2026 at 9:05pm"),
        (datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "2 March 2026 at 9am"),
        (date(2026, 11, 29), "29 November 2026"),
        (None, ""),
    ],
)
def test_govuk_datetime(value, shown):
    assert govuk_datetime(value) == shown


@pytest.mark.parametrize(
    ("done", "total", "percent"),
    [(9, 20, 45), (0, 20, 0), (20, 20, 100), (199, 200, 99), (5, 0, 0), (None, None, 0),
     (30, 20, 100), ("3", "4", 75)],
)
def test_percent_of(done, total, percent):
    assert percent_of(done, total) == percent


@pytest.mark.parametrize(
    ("get", "query_string", "changes", "result"),
    [
        ("q=smith&page=2", None, {"page": 3}, "?q=smith&page=3"),
        ("q=smith", None, {"page": 2}, "?q=smith&page=2"),
        ("q=smith&page=2", None, {"page": None}, "?q=smith"),
        ("", None, {"page": 1}, "?page=1"),
        ("", None, {}, "?"),
        ("status=open&status=void", None, {"page": 2}, "?status=open&status=void&page=2"),
        ("ignored=1", "q=jones", {"page": 4}, "?q=jones&page=4"),
        ("ignored=1", "?q=jones", {"sort": ""}, "?q=jones"),
        ("", QueryDict("a=1"), {"b": 2}, "?a=1&b=2"),
        ("q=x", "", {"page": 2}, "?q=x&page=2"),
    ],
)
def test_url_replace(get, query_string, changes, result):
    context = Context({"request": RequestFactory().get(f"/list/?{get}")})
    assert url_replace(context, query_string, **changes) == result


def test_url_replace_in_a_template_escapes_the_ampersand():
    request = RequestFactory().get("/list/?q=a%26b&page=1")
    html = Template('<a href="{% url_replace page=2 %}">').render(Context({"request": request}))
    assert html == '<a href="?q=a%26b&amp;page=2">'


class _User:
    is_authenticated = True
    is_tenant = False
    is_contractor = False


@pytest.mark.parametrize(
    ("attrs", "layout"),
    [
        ({"is_authenticated": False}, "layouts/plain.html"),
        ({}, "layouts/staff.html"),
        ({"is_tenant": True}, "layouts/portal.html"),
        ({"is_contractor": True}, "layouts/contractor.html"),
    ],
)
def test_layout_for(attrs, layout):
    user = _User()
    for name, value in attrs.items():
        setattr(user, name, value)
    assert layout_for(user) == layout
    assert layout_for(None) == "layouts/plain.html"


class _Form(forms.Form):
    name = forms.CharField(help_text="As on the tenancy agreement")
    rent = forms.IntegerField(widget=forms.TextInput(attrs={"class": "govuk-input--width-10",
                                                            "placeholder": "0"}))
    notes = forms.CharField(widget=forms.Textarea, required=False)
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")])
    colour = forms.ChoiceField(choices=[("r", "Red"), ("g", "Green")], widget=forms.RadioSelect)
    tags = forms.MultipleChoiceField(choices=[("x", "X")], widget=forms.CheckboxSelectMultiple,
                                     required=False)
    agree = forms.BooleanField(required=False)
    secret = forms.CharField(widget=forms.HiddenInput, required=False)
    upload = forms.FileField(required=False)


@pytest.mark.parametrize(
    ("field", "kind", "anchor"),
    [
        ("name", "input", "id_name"),
        ("rent", "input", "id_rent"),
        ("notes", "textarea", "id_notes"),
        ("kind", "select", "id_kind"),
        ("colour", "radios", "id_colour_0"),
        ("tags", "checkboxes", "id_tags_0"),
        ("agree", "checkbox", "id_agree"),
        ("secret", "hidden", "id_secret"),
        ("upload", "file", "id_upload"),
    ],
)
def test_widget_kind_and_error_anchor(field, kind, anchor):
    bound = _Form()[field]
    assert widget_kind(bound) == kind
    assert error_anchor(bound) == anchor


def test_govuk_widget_adds_classes_keeps_the_forms_own_and_drops_placeholders():
    form = _Form(data={"name": "", "rent": "x", "kind": "a", "colour": "r"})
    assert not form.is_valid()
    rent = govuk_widget(form["rent"])
    assert 'class="govuk-input govuk-input--width-10 govuk-input--error"' in rent
    assert "placeholder" not in rent
    assert 'aria-invalid="true"' in rent
    name = govuk_widget(form["name"])
    assert 'aria-describedby="id_name_helptext id_name_error"' in name
    assert 'class="govuk-select"' in govuk_widget(form["kind"])
    assert 'class="govuk-textarea"' in govuk_widget(form["notes"])
    assert 'class="govuk-checkboxes__input"' in govuk_widget(form["agree"])
    assert "class=" not in govuk_widget(form["secret"])


@pytest.mark.parametrize(
    ("colour", "css_class"),
    [("green", "govuk-tag--green"), ("blue", ""), (None, ""), ("pink", "govuk-tag--magenta"),
     ("RED", "govuk-tag--red"), ("no-such-colour", "govuk-tag--grey")],
)
def test_tag_class(colour, css_class):
    assert tag_class(colour) == css_class


def test_summary_rows_accepts_pairs_triples_and_dicts():
    rows = summary_rows([("Rent", "£100.00"), ("Status", "Open", "/edit/"),
                         {"key": "Notes", "value": "", "action": "Add"}])
    assert rows == [
        {"key": "Rent", "value": "£100.00", "href": None, "action": "Change"},
        {"key": "Status", "value": "Open", "href": "/edit/", "action": "Change"},
        {"key": "Notes", "value": "", "action": "Add"},
    ]


@pytest.mark.parametrize(
    ("number", "count", "pages"),
    [
        (1, 3, [1, 2, 3]),
        (6, 12, [1, None, 5, 6, 7, None, 12]),
        (1, 12, [1, 2, None, 12]),
        (12, 12, [1, None, 11, 12]),
    ],
)
def test_pagination_pages(number, count, pages):
    page_obj = Paginator(range(count * 10), 10).page(number)
    assert pagination_pages(page_obj) == pages


@pytest.mark.parametrize(
    ("percent", "done", "total", "shown"),
    [(45, None, None, 45), (None, 9, 20, 45), ("", 1, 4, 25), (150, None, None, 100),
     (-5, None, None, 0), (0, 9, 20, 0), (None, None, None, 0), (62.7, None, None, 62)],
)
def test_progress_percent(percent, done, total, shown):
    assert progress_percent(percent, done, total) == shown


@pytest.mark.parametrize(
    ("field", "message"),
    [("name", "Enter name"), ("kind", "Select kind"), ("colour", "Select colour")],
)
def test_govuk_error_names_the_field_in_required_messages(field, message):
    form = _Form(data={})
    assert not form.is_valid()
    assert govuk_error(form.errors[field][0], form[field]) == message


def test_govuk_error_keeps_specific_messages():
    form = _Form(data={"rent": "x"})
    form.is_valid()
    assert govuk_error(form.errors["rent"][0], form["rent"]) == "Enter a whole number."


def test_a_form_renders_as_govuk_markup():
    form = _Form(data={"rent": "x", "colour": "r"})
    form.is_valid()
    html = str(form)
    assert '<div class="govuk-form-group govuk-form-group--error">' in html
    assert '<label class="govuk-label" for="id_name">Name</label>' in html
    assert '<div class="govuk-hint" id="id_name_helptext">As on the tenancy agreement</div>' in html
    assert ('<p class="govuk-error-message" id="id_name_error"><span class="govuk-visually-hidden">'
            "Error:</span> Enter name</p>") in html
    assert '<fieldset class="govuk-fieldset">' in html
    assert ('class="govuk-radios__input" type="radio" name="colour" value="r" id="id_colour_0"'
            in html)
    assert " checked" in html
    summary = Template('{% include "components/error_summary.html" %}').render(
        Context({"form": form}))
    assert 'role="alert"' in summary
    assert '<a href="#id_name">Enter name</a>' in summary
    assert '<a href="#id_kind">Select kind</a>' in summary


# --- Components and pages that render without a database ------------------------------------


def _render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_status_tag():
    assert _render('{% include "components/status_tag.html" with text="Open" colour="green" %}'
                   ).strip() == '<strong class="govuk-tag govuk-tag--green">Open</strong>'
    assert _render('{% include "components/status_tag.html" with text="Queued" colour="blue" %}'
                   ).strip() == '<strong class="govuk-tag">Queued</strong>'


def test_summary_list_shows_change_links_and_empty_values():
    html = _render('{% include "components/summary_list.html" with rows=rows %}',
                   rows=[("Rent", "£100.00", "/rent/edit/"), ("Notes", "")])
    assert '<dt class="govuk-summary-list__key">Rent</dt>' in html
    assert ('<a class="govuk-link" href="/rent/edit/">Change<span class="govuk-visually-hidden">'
            " rent</span></a>") in html
    assert "govuk-summary-list__row--no-actions" in html
    assert "Not recorded" in html


def test_progress_bar_has_no_inline_style():
    html = _render('{% include "components/progress.html" with done=9 total=20 label="Rent run" %}')
    assert '<progress class="app-progress__bar" id="progress-bar" max="100" value="45"' in html
    assert "45% (9 of 20)" in html
    assert "style=" not in html
    done = _render('{% include "components/progress.html" with percent=100 %}')
    assert "app-progress--complete" in done


def test_pagination_keeps_other_parameters():
    request = RequestFactory().get("/homes/?q=smith&page=2")
    page_obj = Paginator(range(100), 10).page(2)
    html = _render('{% include "components/pagination.html" with page_obj=page_obj summary=True %}',
                   request=request, page_obj=page_obj)
    assert 'href="?q=smith&amp;page=1" rel="prev"' in html
    assert 'href="?q=smith&amp;page=3" rel="next"' in html
    assert 'aria-label="Page 2" aria-current="page"' in html
    assert "govuk-pagination__item--ellipses" in html
    assert "Showing <b>11</b> to <b>20</b> of <b>100</b> results" in html
    one_page = Paginator(range(5), 10).page(1)
    assert _render('{% include "components/pagination.html" with page_obj=p %}', p=one_page
                   ).strip() == ""


def test_audit_trail():
    entries = [{"at": datetime(2026, 11, 29, 21, 5, tzinfo=UTC), "user": "Ada Iqbal",
                "summary": "Patch changed",
                "changes": [{"field": "Name", "old": "North", "new": "North East"},
                            {"field": "Code", "old": "", "new": "ne"}]}]
    html = _render('{% include "components/audit_trail.html" with entries=entries %}',
                   entries=entries)
    assert '<h3 class="moj-timeline__title">Patch changed</h3>' in html
    assert "by Ada Iqbal" in html
    assert '<time datetime="2026-11-29T21:05:00+00:00">29 November 2026 at 9:05pm</time>' in html
    assert "changed from North to North East" in html
    assert "set to ne" in html
    assert "No changes have been recorded." in _render(
        '{% include "components/audit_trail.html" with entries=entries %}', entries=[])


def test_empty_state_money_date_and_links():
    assert '<h2 class="govuk-heading-m">No repairs</h2>' in _render(
        '{% include "components/empty_state.html" with heading="No repairs" body="None yet." %}')
    assert '<span class="app-numeric">\u2212£12.50</span>' in _render(
        '{% include "components/money.html" with pence=-1250 %}')
    assert '<time datetime="2026-11-29">29 November 2026</time>' in _render(
        '{% include "components/date.html" with value=d %}', d=date(2026, 11, 29))
    assert '<a href="/jobs/" class="govuk-back-link">Back</a>' in _render(
        '{% include "components/back_link.html" with href="/jobs/" %}')


def test_the_500_page_renders_with_no_context_at_all():
    # Django's server_error view renders 500.html with no request and no context processors.
    from django.template.loader import get_template

    html = get_template("500.html").render()
    assert "<title>Sorry, there is a problem with the service – Housing – Demo Council</title>" \
        in html
    assert '<span class="app-header__council">Demo Council</span>' in html
    assert "Sign out" not in html
    assert "style=" not in html


def test_a_multi_widget_field_is_a_fieldset_whose_inputs_are_named_by_the_legend():
    class _When(forms.Form):
        at = forms.SplitDateTimeField(label="Appointment")

    html = str(_When())
    assert '<legend class="govuk-fieldset__legend" id="id_at_legend">Appointment</legend>' in html
    assert html.count('aria-labelledby="id_at_legend"') == 2
    assert html.count('class="govuk-input"') == 2
