"""Widgets: turn a cell of an import file into a value, or say what is wrong with it."""

import re
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db.models import TextChoices
from django.db.models.functions import Lower
from import_export import widgets

from housing.models import Adaptation
from housing.validators import (
    normalise_nino,
    normalise_postcode,
    normalise_uprn,
    validate_nino,
    validate_postcode,
    validate_uprn,
)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value) -> str:
    """A cell as text. Spreadsheets hand over numbers: 1234.0 becomes "1234"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class TextWidget(widgets.CharWidget):
    """Text with runs of spaces made one (as the register's services store it); a multi-line
    value (an address) keeps its lines."""

    def __init__(self, multiline=False):
        super().__init__()
        self.multiline = multiline

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return ""
        lines = [" ".join(line.split()) for line in cell_text(value).splitlines()]
        if self.multiline:
            return "\n".join(line for line in lines if line)
        return " ".join(line for line in lines if line)


class ChoiceWidget(widgets.Widget):
    """A value from a TextChoices, given as its code or its label, in any case."""

    def __init__(self, choices: type[TextChoices]):
        super().__init__()
        self.choices = choices

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        text = cell_text(value).casefold()
        for choice in self.choices:
            if text in (choice.value.casefold(), str(choice.label).casefold()):
                return choice.value
        allowed = ", ".join(self.choices.values)
        raise ValueError(f"“{cell_text(value)}” is not allowed here. Use one of: {allowed}.")

    def render(self, value, obj=None, **kwargs):
        return value or ""


class YesNoWidget(widgets.Widget):
    YES = {"yes", "y", "true", "1"}
    NO = {"no", "n", "false", "0"}

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        if isinstance(value, bool):
            return value
        text = cell_text(value).casefold()
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise ValueError(f"Enter yes or no, not “{cell_text(value)}”.")

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else ("yes" if value else "no")


class DateWidget(widgets.Widget):
    """A date as 2024-03-31 or 31/03/2024 (UK order), or a spreadsheet date cell."""

    FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = cell_text(value)
        for pattern in self.FORMATS:
            try:
                return datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        raise ValueError(f"Enter a real date like 2024-03-31 or 31/03/2024, not “{text}”.")

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class WholeNumberWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        text = cell_text(value)
        if not re.fullmatch(r"-?\d{1,6}", text):
            raise ValueError(f"Enter a whole number, not “{text}”.")
        return int(text)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class UprnWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return ""
        uprn = normalise_uprn(cell_text(value))
        try:
            validate_uprn(uprn)
        except ValidationError:
            raise ValueError(
                f"“{cell_text(value)}” is not a UPRN. Enter the home's Unique Property Reference "
                f"Number: up to 12 digits, like 100040212345."
            ) from None
        return uprn

    def render(self, value, obj=None, **kwargs):
        return value or ""


class PostcodeWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return ""
        postcode = normalise_postcode(cell_text(value))
        try:
            validate_postcode(postcode)
        except ValidationError:
            raise ValueError(
                f"“{cell_text(value)}” is not a UK postcode. Enter a full postcode like EX1 1AA."
            ) from None
        return postcode

    def render(self, value, obj=None, **kwargs):
        return value or ""


class NinoWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return ""
        nino = normalise_nino(cell_text(value))
        try:
            validate_nino(nino)
        except ValidationError:
            raise ValueError(
                f"“{cell_text(value)}” is not a National Insurance number. Enter one like "
                f"AB 12 34 56 C, or leave it blank."
            ) from None
        return nino

    def render(self, value, obj=None, **kwargs):
        return value or ""


class LookupWidget(widgets.Widget):
    """A related record named by a key (a code, a UPRN), ignoring case. Lookups are cached for
    one import; `prime()` loads every key of the file in one query."""

    def __init__(self, model, *, key: str = "code", normalise=cell_text, missing: str):
        super().__init__()
        self.model, self.key, self.normalise, self.missing = model, key, normalise, missing
        self.cache: dict = {}

    def _cache_key(self, value) -> str:
        return self.normalise(value).casefold()

    def reset(self) -> None:
        self.cache = {}

    def prime(self, values) -> None:
        keys = {self._cache_key(v) for v in values if not is_blank(v)} - set(self.cache)
        if not keys:
            return
        found = {getattr(obj, self.key).casefold(): obj for obj in
                 self.model.objects.annotate(lookup_key=Lower(self.key)).filter(lookup_key__in=keys)}
        for key in keys:
            self.cache[key] = found.get(key)

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        key = self._cache_key(value)
        if key not in self.cache:
            self.prime([value])
        obj = self.cache[key]
        if obj is None:
            raise ValueError(self.missing.format(value=cell_text(value)))
        return obj

    def render(self, value, obj=None, **kwargs):
        return getattr(value, self.key, "") if value is not None else ""


class AdaptationsWidget(widgets.ManyToManyWidget):
    """Adaptation names separated by semicolons, e.g. "Ramp; Level-access shower"."""

    def __init__(self):
        super().__init__(Adaptation, separator=";", field="name")
        self.known = None

    def reset(self) -> None:
        self.known = None

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return []
        if self.known is None:
            self.known = {a.name.casefold(): a for a in Adaptation.objects.all()}
        names = [name.strip() for name in cell_text(value).split(";") if name.strip()]
        unknown = [name for name in names if name.casefold() not in self.known]
        if unknown:
            raise ValueError(
                f"Unknown adaptation: {', '.join(unknown)}. Check the spelling, or add it "
                f"under Adaptations in the admin first. Separate several with semicolons."
            )
        return list({self.known[name.casefold()].pk: self.known[name.casefold()]
                     for name in names}.values())

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return "; ".join(sorted(a.name for a in value.all()))
