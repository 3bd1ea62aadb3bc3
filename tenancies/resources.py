"""The tenancies import (django-import-export): tenancies and their tenants from the old system.

How tenancies are written. An import records history that already happened (a tenancy that
started in 1994 and ended in 2009), so new tenancies are a bulk load, not sign-ups:
`services.sign_up` models a sign-up happening now (it needs the home void today and refuses any
tenancy older than one already recorded). The resource therefore writes new tenancies itself,
in sets (bulk_create), inside the import's one transaction, keeping the rules the services keep:
- at most two joint tenants; an end date on or after the start; an ended tenancy has a reason;
  a flexible tenancy has its fixed-term end; only a dwelling can be let;
- never two tenancies on a home at once (checked within the file and against the register
  first, so the message names the other tenancy; the exclusion constraint is the last word);
- a tenancy member row per tenant, a "sign_up" event (and an "end" event for an ended tenancy)
  with the summary "Imported from <file>", and a live tenancy makes its home rented.
A rerun finds each tenancy by its reference. What may have happened since the last run goes
through the services, as every other change to a tenancy does: an ending (`end_tenancy`, which
also hands the home to the voids process) and an introductory tenancy becoming secure
(`convert_to_secure`). Anything else that differs (the home, the start, the tenants) is refused
with a message: those are events with their own screens (succession, assignment...) or a
correction to make in the system, not something a file should silently rewrite.
"""

import re
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import connection
from import_export.fields import Field
from simple_history.utils import bulk_update_with_history

from housing.models import Property
from housing.resources.base import Column, CouncilResource, file_row, join_rows
from housing.resources.register import describe_person, people_by_key, person_key
from housing.resources.widgets import (
    ChoiceWidget,
    DateWidget,
    LookupWidget,
    TextWidget,
    YesNoWidget,
    cell_text,
    is_blank,
)
from housing.validators import normalise_uprn
from tenancies import services
from tenancies.models import Tenancy, TenancyEvent, TenancyMember

TENANT_COLUMN = re.compile(r"^tenant_(\d+)_(first_name|last_name|date_of_birth)$")
PERSON_PARTS = ("first_name", "last_name", "date_of_birth")
UPDATABLE = ("property", "tenancy_type", "start_date", "end_date", "end_reason",
             "fixed_term_end_date", "introductory_end_date", "succession_used")


def _day(value) -> str:
    return f"{value:%d/%m/%Y}" if value else "no date"


def current_tenants(tenancy: Tenancy, *, ended=None) -> list[TenancyMember]:
    """The tenants of a tenancy today, or when it ended: those who had not left before.
    `ended`: the tenancy's end date as recorded, when the instance holds another."""
    if tenancy.pk is None:
        return []
    ended = tenancy.end_date if ended is None else ended
    members = [m for m in tenancy.members.all() if m.role == TenancyMember.Role.TENANT]
    members = [m for m in members
               if m.end_date is None or (ended is not None and m.end_date >= ended)]
    return sorted(members, key=lambda m: (m.start_date, m.pk))


def _tenant_part(slot: int, part: str):
    def dehydrate(tenancy):
        if tenancy.pk is None:  # a new tenancy in an import's preview
            people = getattr(tenancy, "_import_plan", {}).get("tenants", [])
        else:
            people = [member.person for member in current_tenants(tenancy)]
        if len(people) < slot:
            return ""
        value = getattr(people[slot - 1], part)
        if part == "date_of_birth":
            return value.isoformat() if value else ""
        return value

    return dehydrate


def _tenant_field(slot: int, part: str) -> Field:
    return Field(column_name=f"tenant_{slot}_{part}", dehydrate_method=_tenant_part(slot, part))


def _uprn(value) -> str:
    return normalise_uprn(cell_text(value))


class TenancyResource(CouncilResource):
    """Tenancies with one or two tenants, matched by tenancy reference."""

    what = "tenancy"
    key_columns = ("reference",)
    extra_columns = TENANT_COLUMN  # tenant_3_... is read only to refuse it, by row
    constraint_messages = {
        "one_tenancy_at_a_time_per_home": (
            "start_date", "two tenancies of the same home overlap. A home has one tenancy at "
                          "a time: the next may start the day after the last ends."),
        "tenancy_ends_after_it_starts": (
            "end_date", "The end date is before the start date: correct one of them."),
        "an_ended_tenancy_has_a_reason": (
            "end_reason", "An ended tenancy needs an end_reason."),
        "a_person_is_in_a_tenancy_once_at_a_time": (
            "tenant_2_first_name", "The same person is named twice in this tenancy."),
    }
    columns = (
        Column("reference", "required", "The tenancy reference from the old system, up to 20 "
               "characters, unique; matched on a rerun.", "T0012345"),
        Column("uprn", "required", "UPRN of the home let (import the homes first).",
               "100040212345"),
        Column("tenancy_type", "required", "introductory, secure, flexible, licence or "
               "temporary.", "secure"),
        Column("start_date", "required", "The day the tenancy started.", "2004-04-05"),
        Column("end_date", "optional", "The day it ended; blank for a live tenancy.", ""),
        Column("end_reason", "required if ended", "notice, death, eviction, abandonment, "
               "transfer, mutual_exchange, assignment or right_to_buy.", ""),
        Column("fixed_term_end_date", "required if flexible", "End of a flexible tenancy's "
               "fixed term.", ""),
        Column("introductory_end_date", "optional", "When an introductory tenancy becomes "
               "secure; blank: 12 months after the start.", ""),
        Column("succession_used", "optional", "yes if the one statutory succession has "
               "happened (default no).", "no"),
        Column("tenant_1_first_name", "required", "The (first) tenant, as in the people file: "
               "first name...", "Jane"),
        Column("tenant_1_last_name", "required", "... last name ...", "Smith"),
        Column("tenant_1_date_of_birth", "required", "... and date of birth.", "1980-05-17"),
        Column("tenant_2_first_name", "optional", "A joint tenant, the same way (all three "
               "columns, or none).", ""),
        Column("tenant_2_last_name", "optional", "", ""),
        Column("tenant_2_date_of_birth", "optional", "", ""),
    )

    reference = Field(attribute="reference", column_name="reference", widget=TextWidget())
    uprn = Field(attribute="property", column_name="uprn", widget=LookupWidget(
        Property, key="uprn", normalise=_uprn,
        missing="No home has UPRN {value}. Import the home first (the homes file), or check "
                "the number."))
    tenancy_type = Field(attribute="tenancy_type", column_name="tenancy_type",
                         widget=ChoiceWidget(Tenancy.TenancyType))
    start_date = Field(attribute="start_date", column_name="start_date", widget=DateWidget())
    end_date = Field(attribute="end_date", column_name="end_date", widget=DateWidget())
    end_reason = Field(attribute="end_reason", column_name="end_reason",
                       widget=ChoiceWidget(Tenancy.EndReason), default="")
    fixed_term_end_date = Field(attribute="fixed_term_end_date",
                                column_name="fixed_term_end_date", widget=DateWidget())
    introductory_end_date = Field(attribute="introductory_end_date",
                                  column_name="introductory_end_date", widget=DateWidget())
    succession_used = Field(attribute="succession_used", column_name="succession_used",
                            widget=YesNoWidget(), saves_null_values=False)
    tenant_1_first_name = _tenant_field(1, "first_name")
    tenant_1_last_name = _tenant_field(1, "last_name")
    tenant_1_date_of_birth = _tenant_field(1, "date_of_birth")
    tenant_2_first_name = _tenant_field(2, "first_name")
    tenant_2_last_name = _tenant_field(2, "last_name")
    tenant_2_date_of_birth = _tenant_field(2, "date_of_birth")

    class Meta:
        model = Tenancy
        fields = ("reference", "uprn", "tenancy_type", "start_date", "end_date", "end_reason",
                  "fixed_term_end_date", "introductory_end_date", "succession_used",
                  "tenant_1_first_name", "tenant_1_last_name", "tenant_1_date_of_birth",
                  "tenant_2_first_name", "tenant_2_last_name", "tenant_2_date_of_birth")
        import_order = export_order = fields
        import_id_fields = ("reference",)

    # The natural key ---------------------------------------------------------------------
    def row_key(self, row):
        value = row.get("reference")
        return None if is_blank(value) else cell_text(value)

    def existing_by_key(self, keys):
        tenancies = Tenancy.objects.filter(reference__in=keys).select_related(
            "property").prefetch_related("members__person")
        return {t.reference: [t] for t in tenancies}

    def duplicate_message(self, key, other_rows):
        return (f"Tenancy {key} is also on row {join_rows(other_rows)}. Each tenancy must "
                f"appear once in the file, with both joint tenants on its one row.")

    # The whole file ----------------------------------------------------------------------
    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        rows = list(enumerate(dataset.dict, 1))
        keys = {key for _, row in rows for _, key, _ in self.tenants_named(row)} - {None}
        self.people = people_by_key(keys)
        # Each row's home and dates, for the overlap check within the file.
        dates = DateWidget()
        self.periods_in_file = {}
        for number, row in rows:
            try:
                home = self.fields["uprn"].clean(row)
                start = dates.clean(row.get("start_date"))
                end = dates.clean(row.get("end_date"))
            except (ValueError, KeyError):
                continue
            if home and start and (end is None or end >= start):
                self.periods_in_file.setdefault(home.pk, []).append(
                    (file_row(number), self.row_key(row), start, end))
        # Tenancies already held on those homes, other than those this file describes.
        self.periods_held = {}
        for tenancy in Tenancy.objects.filter(property_id__in=self.periods_in_file).exclude(
                reference__in=list(self.rows_by_key)):
            self.periods_held.setdefault(tenancy.property_id, []).append(tenancy)

    def tenants_named(self, row):
        """(slot, person key or None, the person as the row names them) for each tenant slot
        with anything filled in."""
        slots = sorted({int(m.group(1)) for m in map(TENANT_COLUMN.match, row) if m})
        named = []
        for slot in slots:
            parts = [row.get(f"tenant_{slot}_{part}") for part in PERSON_PARTS]
            if all(is_blank(p) for p in parts):
                continue
            key = person_key(*parts)
            named.append((slot, key, describe_person(*parts) if key else ""))
        return named

    def after_import(self, dataset, result, **kwargs):
        # References carried across may use the format the service generates (T0001234):
        # move the sequence past them, so a later sign-up never collides with one.
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors():
            return
        numbers = [int(m.group(1)) for key in self.rows_by_key
                   if (m := re.fullmatch(r"T(\d{7})", key))]
        if numbers:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval('tenancy_reference_seq', GREATEST(%s, "
                    "(SELECT last_value FROM tenancy_reference_seq)))", [max(numbers)])

    # Each row ----------------------------------------------------------------------------
    def import_instance(self, instance, row, **kwargs):
        instance._import_original = (
            {name: getattr(instance, name) for name in UPDATABLE} if instance.pk else None)
        instance._import_plan = {}
        super().import_instance(instance, row, **kwargs)

    def check_row(self, instance, row, errors, *, number, **kwargs):
        tenants = self.check_tenants(row, errors)
        self.check_dates(instance, errors)
        home = instance.property if "uprn" not in errors and instance.property_id else None
        if home is not None and home.kind != Property.Kind.DWELLING:
            self.add_error(errors, "uprn", (
                f"UPRN {home.uprn} is a {home.get_kind_display().lower()}, not a home: only a "
                f"home can be let."))
        if instance._import_original is not None:
            self.check_update(instance, tenants, errors)
            return
        instance._import_plan = {"tenants": tenants}
        if home is None or errors.keys() & {"start_date", "end_date"}:
            return
        self.check_overlaps(instance, home, number, errors)
        if (instance.end_date is None
                and home.tenure in (Property.Tenure.LEASEHOLD, Property.Tenure.SOLD)):
            self.add_error(errors, "uprn", (
                f"UPRN {home.uprn} is recorded as {home.get_tenure_display().lower()}, so it "
                f"cannot have a live tenancy. Correct its tenure in the homes file, or give "
                f"this tenancy its end date."))
        if (instance.tenancy_type == Tenancy.TenancyType.INTRODUCTORY
                and instance.introductory_end_date is None and instance.start_date):
            instance.introductory_end_date = services.add_months(
                instance.start_date, services.INTRODUCTORY_MONTHS) - timedelta(days=1)

    def check_tenants(self, row, errors) -> list:
        named = self.tenants_named(row)
        people = []
        for slot, key, name in named:
            column = f"tenant_{slot}_first_name"
            if key is None:
                self.add_error(errors, column, (
                    f"Give tenant {slot}'s first name, last name and a real date of birth, as in "
                    f"the people file."))
                continue
            found = self.people.get(key, [])
            if not found:
                self.add_error(errors, column, (
                    f"No person {name} is recorded. Import them in the "
                    f"people file first, or check the spelling and the date of birth."))
            elif len(found) > 1:
                self.add_error(errors, column, (
                    f"{len(found)} people are recorded as {name}, so the "
                    f"import cannot tell which is the tenant. Merge or correct them first."))
            elif any(found[0] == person for person in people):
                self.add_error(errors, column, "This is the same person as the other tenant.")
            else:
                people.append(found[0])
        if not named or named[0][0] != 1:
            self.add_error(errors, "tenant_1_first_name", (
                "Every tenancy needs its tenant: fill in tenant_1_first_name, "
                "tenant_1_last_name and tenant_1_date_of_birth."))
        if len(named) > services.MAX_JOINT_TENANTS:
            third = named[services.MAX_JOINT_TENANTS][0]
            self.add_error(errors, f"tenant_{third}_first_name", (
                f"A tenancy can have at most two joint tenants, but this row names "
                f"{len(named)}. Keep two; record anyone else as a household member on the "
                f"tenancy page after the import."))
        return people

    def check_dates(self, instance, errors) -> None:
        start, end = instance.start_date, instance.end_date
        if errors.keys() & {"start_date", "end_date"}:
            return
        if start and end and end < start:
            self.add_error(errors, "end_date", (
                f"The end date ({_day(end)}) is before the start date ({_day(start)}). "
                f"Correct one of them."))
        if end and not instance.end_reason and "end_reason" not in errors:
            self.add_error(errors, "end_reason", (
                "An ended tenancy needs an end_reason: "
                + ", ".join(Tenancy.EndReason.values) + "."))
        if instance.end_reason and not end:
            self.add_error(errors, "end_date", (
                "end_reason is filled in but end_date is blank: give the day the tenancy "
                "ended, or clear end_reason for a live tenancy."))
        fixed = instance.fixed_term_end_date
        if (instance.tenancy_type == Tenancy.TenancyType.FLEXIBLE and not fixed
                and "fixed_term_end_date" not in errors):
            self.add_error(errors, "fixed_term_end_date",
                           "A flexible tenancy needs the end date of its fixed term.")
        if fixed and start and fixed <= start:
            self.add_error(errors, "fixed_term_end_date",
                           "The fixed term must end after the tenancy starts.")
        if (instance.introductory_end_date and instance.tenancy_type
                not in (Tenancy.TenancyType.INTRODUCTORY, Tenancy.TenancyType.SECURE)):
            self.add_error(errors, "introductory_end_date",
                           "Only an introductory tenancy (or one that has become secure) has "
                           "an introductory end date.")

    def check_overlaps(self, instance, home, number, errors) -> None:
        start, end = instance.start_date, instance.end_date
        if start is None:
            return

        def overlaps(other_start, other_end) -> bool:
            # Both days count (the constraint's '[]' range); no end date runs for ever.
            return (end is None or other_start <= end) and (other_end is None or start <= other_end)

        for row, reference, other_start, other_end in self.periods_in_file.get(home.pk, []):
            if row != number and reference != instance.reference and overlaps(
                    other_start, other_end):
                self.add_error(errors, "start_date", (
                    f"This tenancy ({_day(start)} to {_day(end) if end else 'now'}) overlaps "
                    f"tenancy {reference} on row {row} of this file ({_day(other_start)} to "
                    f"{_day(other_end) if other_end else 'now'}) at the same home. A home has "
                    f"one tenancy at a time: the next may start the day after the last ends."))
                return
        for other in self.periods_held.get(home.pk, []):
            if overlaps(other.start_date, other.end_date):
                self.add_error(errors, "start_date", (
                    f"This tenancy ({_day(start)} to {_day(end) if end else 'now'}) overlaps "
                    f"tenancy {other.reference} already recorded for UPRN {home.uprn} "
                    f"({_day(other.start_date)} to "
                    f"{_day(other.end_date) if other.end_date else 'now'}). A home has one "
                    f"tenancy at a time: correct the dates, or end that tenancy first."))
                return

    def check_update(self, instance, tenants, errors) -> None:
        """A tenancy already recorded: only what services record may have changed since."""
        was = instance._import_original
        reference = instance.reference
        plan = instance._import_plan

        def refuse(column, recorded, hint):
            self.add_error(errors, column, (
                f"Tenancy {reference} is recorded with {column} {recorded}. An import cannot "
                f"change it: {hint}"))

        if "uprn" not in errors and instance.property_id != was["property"].pk:
            refuse("uprn", was["property"].uprn,
                   "a tenancy cannot move home. Check the reference and the UPRN.")
        if "start_date" not in errors and instance.start_date != was["start_date"]:
            refuse("start_date", _day(was["start_date"]),
                   "put the recorded date in the file, or correct the tenancy first.")
        if "tenancy_type" not in errors and instance.tenancy_type != was["tenancy_type"]:
            if (was["tenancy_type"] == Tenancy.TenancyType.INTRODUCTORY
                    and instance.tenancy_type == Tenancy.TenancyType.SECURE):
                plan["convert"] = True
            else:
                refuse("tenancy_type", was["tenancy_type"],
                       "only an introductory tenancy becoming secure can be imported.")
        if not errors.keys() & {"end_date", "end_reason"}:
            if was["end_date"] is None and instance.end_date is not None:
                plan["end"] = (instance.end_date, instance.end_reason)
            elif was["end_date"] is not None and instance.end_date is None:
                refuse("end_date", _day(was["end_date"]), "an ended tenancy cannot be reopened.")
            elif (was["end_date"], was["end_reason"]) != (instance.end_date,
                                                            instance.end_reason):
                refuse("end_date", f"{_day(was['end_date'])} ({was['end_reason']})",
                       "put the recorded end in the file.")
        for name in ("fixed_term_end_date", "introductory_end_date", "succession_used"):
            value = getattr(instance, name)
            if name not in errors and value not in (None, was[name]):
                refuse(name, was[name], "correct the tenancy in the system first.")
        members = current_tenants(instance, ended=was["end_date"])
        if not any(c.startswith("tenant_") for c in errors) and {
                m.person_id for m in members} != {p.pk for p in tenants}:
            names = " and ".join(m.person.full_name for m in members)
            self.add_error(errors, "tenant_1_first_name", (
                f"Tenancy {reference} is recorded with tenant(s) {names}. An import cannot "
                f"change the tenants: record a succession, assignment or joint tenancy change "
                f"on the tenancy page."))
        # What is saved is the record as it is, plus the events the services will record.
        for name, value in was.items():
            setattr(instance, name, value)
        if plan.get("convert"):
            instance.tenancy_type = Tenancy.TenancyType.SECURE
        if plan.get("end"):
            instance.end_date, instance.end_reason = plan["end"]

    # Writing -----------------------------------------------------------------------------
    def save_instance(self, instance, is_create, row, **kwargs):
        if is_create:
            super().save_instance(instance, is_create, row, **kwargs)  # written in sets
        else:
            # Only events happen to a recorded tenancy, each through its service, now: so a
            # file that ends a tenancy and lets the home again works whatever its row order
            # (the new tenancies are written after every row has been read).
            self.record_changes(instance)

    def after_bulk_create(self, tenancies):
        members, events, let = [], [], set()
        source = self.change_reason
        for tenancy in tenancies:
            tenants = tenancy._import_plan["tenants"]
            members += [TenancyMember(tenancy=tenancy, person=person,
                                      role=TenancyMember.Role.TENANT,
                                      start_date=tenancy.start_date, end_date=tenancy.end_date)
                        for person in tenants]
            names = " and ".join(person.full_name for person in tenants)
            events.append(TenancyEvent(
                tenancy=tenancy, kind=TenancyEvent.Kind.SIGN_UP,
                effective_date=tenancy.start_date,
                summary=f"{source}: {names}, {tenancy.get_tenancy_type_display().lower()} "
                        f"tenancy of {tenancy.property}."[:300],
                details={"imported_from": self.file_name}, recorded_by=self.user,
                recorded_at=self.at))
            if tenancy.end_date:
                events.append(TenancyEvent(
                    tenancy=tenancy, kind=TenancyEvent.Kind.END,
                    effective_date=tenancy.end_date,
                    summary=f"{source}: ended on {tenancy.end_date:%d %B %Y}, "
                            f"{tenancy.get_end_reason_display().lower()}."[:300],
                    details={"imported_from": self.file_name, "reason": tenancy.end_reason},
                    recorded_by=self.user, recorded_at=self.at))
            else:
                let.add(tenancy.property_id)
        TenancyMember.objects.bulk_create(members)
        TenancyEvent.objects.bulk_create(events)
        from rents.services import open_missing_rent_accounts

        open_missing_rent_accounts()  # every tenancy has its rent account, as at sign-up
        from voids.services import close_voids_let_by_import

        # A file that ends a tenancy and lets the home again: the ending opened the void
        # (row by row), and the new tenancy closes it, as a sign-up would.
        close_voids_let_by_import(list(tenancies), by=self.user, at=self.at)
        # A live tenancy makes its home rented; an ended one leaves the home as it is. (Read
        # afresh: a tenancy ended by this file has just made its home void.)
        homes = list(Property.objects.filter(pk__in=let).exclude(tenure=Property.Tenure.RENTED))
        for home in homes:
            home.tenure = Property.Tenure.RENTED
        bulk_update_with_history(homes, Property, ["tenure"], default_user=self.user,
                                 default_change_reason=f"{source}: let")

    def record_changes(self, tenancy: Tenancy) -> None:
        plan = tenancy._import_plan
        try:
            if plan.get("convert"):
                secure_from = tenancy.introductory_end_date + timedelta(days=1)
                services.convert_to_secure(tenancy_id=tenancy.pk, on=secure_from,
                                           by=self.user, at=self.at)
        except ValidationError as error:
            raise ValidationError({"tenancy_type": error.messages}) from None
        try:
            if plan.get("end"):
                end_date, reason = plan["end"]
                services.end_tenancy(tenancy_id=tenancy.pk, end_date=end_date, reason=reason,
                                     by=self.user, at=self.at)
        except ValidationError as error:
            raise ValidationError({"end_date": error.messages}) from None
        tenancy.refresh_from_db()

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("property").prefetch_related("members__person")
