"""The estates, blocks, homes and people files."""

from collections import defaultdict

from django.core.exceptions import ValidationError
from import_export.fields import Field

from housing.models import Block, Estate, Patch, Person, Property
from housing.resources.base import Column, CouncilResource, file_row, join_rows
from housing.resources.widgets import (
    AdaptationsWidget,
    ChoiceWidget,
    DateWidget,
    LookupWidget,
    NinoWidget,
    PostcodeWidget,
    TextWidget,
    UprnWidget,
    WholeNumberWidget,
    YesNoWidget,
    cell_text,
    is_blank,
)
from housing.validators import normalise_uprn, validate_uprn


def _code(value) -> str:
    return cell_text(value)


def patch_field() -> Field:
    return Field(attribute="patch", column_name="patch", widget=LookupWidget(
        Patch, missing="No patch has the code “{value}”. Use the code of a patch set up "
                       "under Patches in the admin."))


def estate_field() -> Field:
    return Field(attribute="estate", column_name="estate", widget=LookupWidget(
        Estate, missing="No estate has the code “{value}”. Import the estate first (the "
                        "estates file), or check the code."))


# --- Estates -----------------------------------------------------------------------------

class EstateResource(CouncilResource):
    """Estates, matched by `code`."""

    what = "estate"
    key_columns = ("code",)
    unique_in_file = (("name",),)
    validate_in_database = True  # names unique among the estates held, too
    columns = (
        Column("code", "required", "The estate's short code, unique: letters, digits, hyphens "
               "(matched on a rerun).", "riverside"),
        Column("name", "required", "The estate's name, unique.", "Riverside Estate"),
        Column("patch", "required", "The code of the patch (area) the estate is in.", "north"),
    )

    code = Field(attribute="code", column_name="code", widget=TextWidget())
    name = Field(attribute="name", column_name="name", widget=TextWidget())
    patch = patch_field()

    class Meta:
        model = Estate
        fields = ("code", "name", "patch")
        import_order = export_order = fields
        import_id_fields = ("code",)

    def row_key(self, row):
        value = row.get("code")
        return None if is_blank(value) else _code(value)

    def existing_by_key(self, keys):
        return {e.code: [e] for e in Estate.objects.filter(code__in=keys)}

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("patch")


# --- Blocks ------------------------------------------------------------------------------

class BlockResource(CouncilResource):
    """Blocks of flats, matched by `code`."""

    what = "block"
    key_columns = ("code",)
    unique_in_file = (("estate", "name"),)
    validate_in_database = True  # names unique within the estate among the blocks held, too
    constraint_messages = {
        "block_name_unique_in_estate": (
            "name", "An estate cannot have two blocks with the same name: give each block of "
                    "an estate its own name."),
    }
    columns = (
        Column("code", "required", "The block's short code, unique across the council "
               "(matched on a rerun).", "riverside-mill-house"),
        Column("name", "required", "The block's name, unique within its estate.", "Mill House"),
        Column("estate", "required", "The code of the estate the block is on.", "riverside"),
        Column("storeys", "optional", "Number of storeys.", "6"),
        Column("has_lift", "optional", "yes or no (blank: no, or unchanged).", "yes"),
    )

    code = Field(attribute="code", column_name="code", widget=TextWidget())
    name = Field(attribute="name", column_name="name", widget=TextWidget())
    estate = estate_field()
    storeys = Field(attribute="storeys", column_name="storeys", widget=WholeNumberWidget())
    has_lift = Field(attribute="has_lift", column_name="has_lift", widget=YesNoWidget(),
                     saves_null_values=False)

    class Meta:
        model = Block
        fields = ("code", "name", "estate", "storeys", "has_lift")
        import_order = export_order = fields
        import_id_fields = ("code",)

    def row_key(self, row):
        value = row.get("code")
        return None if is_blank(value) else _code(value)

    def existing_by_key(self, keys):
        return {b.code: [b] for b in Block.objects.filter(code__in=keys)}

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("estate")


# --- Homes -------------------------------------------------------------------------------

def _uprn_key(value):
    if is_blank(value):
        return None
    uprn = normalise_uprn(cell_text(value))
    try:
        validate_uprn(uprn)
    except ValidationError:
        return None
    return uprn


class PropertyResource(CouncilResource):
    """Homes and non-dwellings (garages, communal areas), matched by UPRN."""

    what = "home"
    key_columns = ("uprn",)
    constraint_messages = {
        "a_home_has_a_property_type": (
            "property_type", "A home (kind dwelling) needs a property_type: "
                             + ", ".join(Property.PropertyType.values) + "."),
        "uprn_up_to_12_digits": ("uprn", "Enter a UPRN of up to 12 digits, like 100040212345."),
    }
    columns = (
        Column("uprn", "required", "Unique Property Reference Number, up to 12 digits; "
               "matched on a rerun.", "100040212345"),
        Column("kind", "optional", "dwelling (a home, the default), garage, communal or "
               "other.", "dwelling"),
        Column("property_type", "required for homes", "house, flat, maisonette, bungalow or "
               "bedsit.", "flat"),
        Column("estate", "optional", "The code of its estate. Taken from the block when "
               "blank.", "riverside"),
        Column("block", "optional", "The code of its block, for flats.",
               "riverside-mill-house"),
        Column("address_line_1", "required", "First line of the address.", "Flat 3, Mill House"),
        Column("address_line_2", "optional", "Second line of the address.", "Mill Lane"),
        Column("town", "required", "Town or city.", "Exeter"),
        Column("postcode", "required", "UK postcode (any case or spacing).", "EX2 4AB"),
        Column("bedrooms", "optional", "Number of bedrooms.", "2"),
        Column("floor_level", "optional", "0 is the ground floor, -1 a basement.", "1"),
        Column("build_year", "optional", "Year built.", "1968"),
        Column("tenure", "optional", "void (the default), leasehold or sold. A home becomes "
               "rented when its tenancy is imported; rented is accepted only for a home that "
               "has a live tenancy.", "void"),
        Column("patch", "required unless the estate gives it", "The code of the patch (area). "
               "Blank: the estate's patch.", "north"),
        Column("adaptations", "optional", "Adaptation names, separated by semicolons; each "
               "must exist under Adaptations.", "Ramp; Level-access shower"),
    )

    uprn = Field(attribute="uprn", column_name="uprn", widget=UprnWidget())
    kind = Field(attribute="kind", column_name="kind", widget=ChoiceWidget(Property.Kind),
                 saves_null_values=False)
    property_type = Field(attribute="property_type", column_name="property_type",
                          widget=ChoiceWidget(Property.PropertyType), default="")
    estate = estate_field()
    block = Field(attribute="block", column_name="block", widget=LookupWidget(
        Block, missing="No block has the code “{value}”. Import the block first (the blocks "
                       "file), or check the code."))
    address_line_1 = Field(attribute="address_line_1", column_name="address_line_1",
                           widget=TextWidget())
    address_line_2 = Field(attribute="address_line_2", column_name="address_line_2",
                           widget=TextWidget())
    town = Field(attribute="town", column_name="town", widget=TextWidget())
    postcode = Field(attribute="postcode", column_name="postcode", widget=PostcodeWidget())
    bedrooms = Field(attribute="bedrooms", column_name="bedrooms", widget=WholeNumberWidget())
    floor_level = Field(attribute="floor_level", column_name="floor_level",
                        widget=WholeNumberWidget())
    build_year = Field(attribute="build_year", column_name="build_year",
                       widget=WholeNumberWidget())
    tenure = Field(attribute="tenure", column_name="tenure",
                   widget=ChoiceWidget(Property.Tenure), saves_null_values=False)
    patch = patch_field()
    adaptations = Field(attribute="adaptations", column_name="adaptations",
                        widget=AdaptationsWidget())

    class Meta:
        model = Property
        fields = ("uprn", "kind", "property_type", "estate", "block", "address_line_1",
                  "address_line_2", "town", "postcode", "bedrooms", "floor_level",
                  "build_year", "tenure", "patch", "adaptations")
        import_order = export_order = fields
        import_id_fields = ("uprn",)

    def row_key(self, row):
        return _uprn_key(row.get("uprn"))

    def existing_by_key(self, keys):
        return {p.uprn: [p] for p in Property.objects.filter(uprn__in=keys)}

    def duplicate_message(self, key, other_rows):
        return (f"UPRN {key} is also on row {join_rows(other_rows)}. A UPRN identifies one "
                f"home: each must appear once in the file.")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        # Homes with a live tenancy, whose tenure must stay "rented" (one query for the file).
        uprns = list(self.rows_by_key)
        self.let_homes = dict(
            Property.objects.filter(uprn__in=uprns, tenancies__end_date__isnull=True)
            .values_list("uprn", "tenancies__reference"))

    def import_instance(self, instance, row, **kwargs):
        instance._import_before = (instance.tenure, instance.kind) if instance.pk else None
        super().import_instance(instance, row, **kwargs)

    def check_row(self, instance, row, errors, *, number, **kwargs):
        if "block" not in errors and instance.block_id:
            block = instance.block
            if "estate" in errors:
                pass
            elif instance.estate_id is None:
                instance.estate = block.estate
            elif instance.estate_id != block.estate_id:
                self.add_error(errors, "block", (
                    f"Block “{block.code}” is on estate “{block.estate.code}”, not "
                    f"“{instance.estate.code}”. Correct the estate or the block."))
        if "patch" not in errors and instance.patch_id is None:
            if instance.estate_id and "estate" not in errors:
                instance.patch = instance.estate.patch
            else:
                self.add_error(errors, "patch", "Fill in patch (the code of the patch the home "
                                                "is in), or give an estate to take it from.")
        if (instance.kind == Property.Kind.DWELLING and not instance.property_type
                and "property_type" not in errors):
            self.add_error(errors, "property_type", self.constraint_messages[
                "a_home_has_a_property_type"][1])
        # A home is rented exactly while it has a live tenancy: the tenancy services (and the
        # tenancies import) move it there and back, as housing.services does for the screens.
        before = instance._import_before
        live = self.let_homes.get(instance.uprn) if instance.pk else None
        if "tenure" not in errors:
            if live and instance.tenure != Property.Tenure.RENTED:
                self.add_error(errors, "tenure", (
                    f"This home has a live tenancy ({live}), so its tenure is rented. End the "
                    f"tenancy first, or put rented here."))
            elif (not live and instance.tenure == Property.Tenure.RENTED
                  and (before is None or before[0] != Property.Tenure.RENTED)):
                self.add_error(errors, "tenure", (
                    "A home becomes rented when its tenancy is imported (the tenancies file) "
                    "or signed up: put void here, then import the tenancy."))
        if live and before and instance.kind != before[1] and "kind" not in errors:
            self.add_error(errors, "kind", (
                f"This home has a live tenancy ({live}), so it stays a "
                f"{Property.Kind(before[1]).label.lower()}."))
        instance._import_adaptations = None
        if "adaptations" in row:
            try:
                instance._import_adaptations = self.fields["adaptations"].clean(row)
            except ValueError as error:
                self.add_error(errors, "adaptations", str(error))

    def after_bulk_create(self, instances):
        self.write_adaptations(instances)

    def after_bulk_update(self, instances):
        self.write_adaptations(instances)

    def write_adaptations(self, homes) -> None:
        """The homes' adaptations as the file lists them, in two statements. (Written to the
        link table directly, so they have no history rows of their own; the file is named in
        each home's history.)"""
        homes = [h for h in homes if getattr(h, "_import_adaptations", None) is not None]
        if not homes:
            return
        link = Property.adaptations.through
        link.objects.filter(property__in=homes).delete()
        link.objects.bulk_create([link(property=home, adaptation=adaptation)
                                  for home in homes for adaptation in home._import_adaptations])

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("estate", "block", "patch").prefetch_related(
            "adaptations")


# --- People ------------------------------------------------------------------------------

def person_key(first_name, last_name, date_of_birth):
    """People are matched by name and date of birth, ignoring case and spaces around names:
    the register has no person reference of its own to carry across."""
    if is_blank(first_name) or is_blank(last_name) or is_blank(date_of_birth):
        return None
    try:
        born = DateWidget().clean(date_of_birth)
    except ValueError:
        return None
    return (" ".join(cell_text(first_name).split()).casefold(),
            " ".join(cell_text(last_name).split()).casefold(), born)


def describe_person(first_name, last_name, date_of_birth) -> str:
    """A person as the file names them: "Jane McDonald, born 17/05/1980"."""
    born = DateWidget().clean(date_of_birth)
    return f"{cell_text(first_name)} {cell_text(last_name)}, born {born:%d/%m/%Y}"


def people_by_key(keys) -> dict:
    """key -> the people recorded with that name and date of birth (one query)."""
    found = defaultdict(list)
    if not keys:
        return found
    # Dates of birth narrow it down in the database; names are compared here, as the keys are.
    people = Person.objects.filter(date_of_birth__in={k[2] for k in keys}).order_by("pk")
    for person in people:
        key = person_key(person.first_name, person.last_name, person.date_of_birth)
        if key in keys:
            found[key].append(person)
    return found


class PersonResource(CouncilResource):
    """People, matched by first name, last name and date of birth."""

    what = "person"
    key_columns = ("first_name", "last_name", "date_of_birth")
    columns = (
        Column("first_name", "required", "First name. With last_name and date_of_birth it "
               "identifies the person on a rerun and in the tenancies file.", "Jane"),
        Column("last_name", "required", "Last name.", "Smith"),
        Column("date_of_birth", "required", "Date of birth, 1980-05-17 or 17/05/1980.",
               "1980-05-17"),
        Column("title", "optional", "Mr, Mrs, Ms, Mx, Dr...", "Ms"),
        Column("preferred_name", "optional", "What they like to be called.", "Janey"),
        Column("mobile_phone", "optional", "UK phone number.", "07700 900982"),
        Column("home_phone", "optional", "UK phone number.", "01392 265000"),
        Column("email", "optional", "Email address.", "jane@example.com"),
        Column("correspondence_address", "optional", "Only if letters go somewhere other "
               "than their home.", ""),
        Column("correspondence_postcode", "optional", "Postcode of that address.", ""),
        Column("preferred_contact_method", "optional", "email, phone, text or letter "
               "(default letter).", "text"),
        Column("large_print", "optional", "yes or no.", "no"),
        Column("interpreter_needed", "optional", "yes or no.", "no"),
        Column("language", "optional", "Preferred language (default English).", "English"),
        Column("other_needs", "optional", "Other communication needs.", ""),
        Column("ni_number", "optional", "National Insurance number.", "AB123456C"),
    )

    first_name = Field(attribute="first_name", column_name="first_name", widget=TextWidget())
    last_name = Field(attribute="last_name", column_name="last_name", widget=TextWidget())
    date_of_birth = Field(attribute="date_of_birth", column_name="date_of_birth",
                          widget=DateWidget())
    title = Field(attribute="title", column_name="title", widget=TextWidget())
    preferred_name = Field(attribute="preferred_name", column_name="preferred_name",
                           widget=TextWidget())
    mobile_phone = Field(attribute="mobile_phone", column_name="mobile_phone",
                         widget=TextWidget())
    home_phone = Field(attribute="home_phone", column_name="home_phone", widget=TextWidget())
    email = Field(attribute="email", column_name="email", widget=TextWidget())
    correspondence_address = Field(attribute="correspondence_address",
                                   column_name="correspondence_address",
                                   widget=TextWidget(multiline=True))
    correspondence_postcode = Field(attribute="correspondence_postcode",
                                    column_name="correspondence_postcode",
                                    widget=PostcodeWidget())
    preferred_contact_method = Field(
        attribute="preferred_contact_method", column_name="preferred_contact_method",
        widget=ChoiceWidget(Person.ContactMethod), saves_null_values=False)
    large_print = Field(attribute="large_print", column_name="large_print",
                        widget=YesNoWidget(), saves_null_values=False)
    interpreter_needed = Field(attribute="interpreter_needed", column_name="interpreter_needed",
                               widget=YesNoWidget(), saves_null_values=False)
    language = Field(attribute="language", column_name="language", widget=TextWidget(),
                     default="English")
    other_needs = Field(attribute="other_needs", column_name="other_needs", widget=TextWidget())
    ni_number = Field(attribute="ni_number", column_name="ni_number", widget=NinoWidget())

    class Meta:
        model = Person
        fields = ("first_name", "last_name", "date_of_birth", "title", "preferred_name",
                  "mobile_phone", "home_phone", "email", "correspondence_address",
                  "correspondence_postcode", "preferred_contact_method", "large_print",
                  "interpreter_needed", "language", "other_needs", "ni_number")
        import_order = export_order = fields
        import_id_fields = ("first_name", "last_name", "date_of_birth")

    def row_key(self, row):
        return person_key(row.get("first_name"), row.get("last_name"), row.get("date_of_birth"))

    def existing_by_key(self, keys):
        return people_by_key(keys)

    def ambiguous_message(self, key, found):
        ids = ", ".join(str(p.pk) for p in found)
        person = found[0]
        name = describe_person(person.first_name, person.last_name, person.date_of_birth)
        return (f"{len(found)} people are already recorded as {name} "
                f"(ids {ids}), so the import cannot tell which one to update. Correct their "
                f"records first.")

    def duplicate_message(self, key, other_rows):
        return (f"The same person (first name, last name and date of birth) is also on row "
                f"{join_rows(other_rows)}. Each person must appear once in the file.")

    def import_instance(self, instance, row, **kwargs):
        if instance.pk:
            # The names matched, ignoring case; a rerun never rewrites how they are spelt
            # (a change of name is an event, recorded through the tenancy screens).
            names = instance.first_name, instance.last_name
            try:
                super().import_instance(instance, row, **kwargs)
            finally:
                instance.first_name, instance.last_name = names
        else:
            super().import_instance(instance, row, **kwargs)

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        # National Insurance numbers are one person's each: who holds the file's numbers
        # already, and which rows of the file give each one (one query for the file).
        self.rows_by_nino = defaultdict(list)
        for number, row in enumerate(dataset.dict, 1):
            try:
                nino = self.fields["ni_number"].clean(row)
            except (KeyError, ValueError):
                continue
            if nino:
                self.rows_by_nino[nino].append(file_row(number))
        self.nino_holders = defaultdict(set)
        for pk, nino in Person.objects.filter(ni_number__in=list(self.rows_by_nino)).values_list(
                "pk", "ni_number"):
            self.nino_holders[nino].add(pk)

    def check_row(self, instance, row, errors, *, number, **kwargs):
        nino = instance.ni_number
        if nino and "ni_number" not in errors:
            others = [r for r in self.rows_by_nino.get(nino, []) if r != number]
            if others:
                self.add_error(errors, "ni_number", (
                    f"National Insurance number {nino} is also on row {join_rows(others)}. "
                    f"Each person has their own: check the numbers."))
            elif self.nino_holders.get(nino, set()) - {instance.pk}:
                # Not named: whoever reads this may not be allowed to see that person.
                self.add_error(errors, "ni_number", (
                    f"National Insurance number {nino} is already recorded for someone else. "
                    f"Check the number."))
        if (instance.correspondence_postcode and not instance.correspondence_address
                and "correspondence_address" not in errors):
            self.add_error(errors, "correspondence_address",
                           "Enter the address to write to, or leave the postcode blank too.")
        if instance.date_of_birth is None and "date_of_birth" not in errors:
            self.add_error(errors, "date_of_birth", (
                "Fill in date_of_birth: with the name it is how the import tells people apart "
                "and finds them again on a rerun."))
