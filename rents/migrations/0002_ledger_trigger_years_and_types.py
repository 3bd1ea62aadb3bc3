"""The ledger refuses UPDATE and DELETE (TRUNCATE, which only the table's owner may run, is
left for test databases to be emptied); rent years 2024/25 to 2031/32 with their Mondays;
the usual charge types. Administrators edit years, rent-free weeks and types in the admin."""

from django.db import migrations

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION rents_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The rent ledger is append-only: post a reversing entry instead of %', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER rents_transaction_append_only
    BEFORE UPDATE OR DELETE ON rents_transaction
    FOR EACH ROW EXECUTE FUNCTION rents_ledger_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS rents_transaction_append_only ON rents_transaction;
DROP FUNCTION IF EXISTS rents_ledger_append_only();
"""

CHARGE_TYPES = [
    ("rent", "Net rent", True, 0),
    ("heating", "Heating", False, 10),
    ("cleaning", "Communal cleaning", True, 20),
    ("lighting", "Communal lighting", True, 30),
    ("grounds", "Grounds maintenance", True, 40),
    ("support", "Support charge", False, 50),
    ("water", "Water", False, 60),
]


def configure(apps, schema_editor):
    from rents.calculations import rent_week_mondays, rent_year_bounds, rent_year_label

    rent_year = apps.get_model("rents", "RentYear")
    rent_week = apps.get_model("rents", "RentWeek")
    charge_type = apps.get_model("rents", "ChargeType")
    for start_year in range(2024, 2032):
        first, last = rent_year_bounds(start_year)
        year, _ = rent_year.objects.get_or_create(
            label=rent_year_label(start_year), defaults={"start_date": first, "end_date": last})
        rent_week.objects.bulk_create(
            [rent_week(rent_year=year, number=n, start_date=monday)
             for n, monday in enumerate(rent_week_mondays(start_year), start=1)],
            ignore_conflicts=True)
    for code, name, eligible, order in CHARGE_TYPES:
        charge_type.objects.get_or_create(
            code=code, defaults={"name": name, "benefit_eligible": eligible, "order": order})


class Migration(migrations.Migration):
    dependencies = [("rents", "0001_initial")]

    operations = [
        migrations.RunSQL(APPEND_ONLY, DROP),
        migrations.RunPython(configure, migrations.RunPython.noop),
    ]
