"""Charges and rent accounts for the demo council (`manage.py seed_demo`), in sets."""

from django.db import connection

from rents.services import open_missing_rent_accounts


def seed_rent() -> dict:
    """A net rent on every home (more for more bedrooms, a house more than a flat) and
    heating and cleaning on flats in blocks, from the start of the 2024/25 rent year; and a
    rent account for every tenancy."""
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO rents_charge (property_id, charge_type_id, weekly_pence, start_date)
            SELECT p.id, ct.id,
                   7500 + 1400 * COALESCE(p.bedrooms, 1)
                   + CASE WHEN p.property_type IN ('house', 'bungalow') THEN 900 ELSE 0 END
                   + (p.id % 97) * 7,
                   DATE '2024-04-01'
            FROM housing_property p CROSS JOIN rents_chargetype ct
            WHERE p.kind = 'dwelling' AND ct.code = 'rent'
              AND NOT EXISTS (SELECT 1 FROM rents_charge c WHERE c.property_id = p.id)
        """)
        rents = cursor.rowcount
        cursor.execute("""
            INSERT INTO rents_charge (property_id, charge_type_id, weekly_pence, start_date)
            SELECT p.id, ct.id, CASE ct.code WHEN 'heating' THEN 1250 ELSE 385 END,
                   DATE '2024-04-01'
            FROM housing_property p CROSS JOIN rents_chargetype ct
            WHERE p.kind = 'dwelling' AND p.block_id IS NOT NULL
              AND ct.code IN ('heating', 'cleaning')
              AND NOT EXISTS (SELECT 1 FROM rents_charge c
                              WHERE c.property_id = p.id AND c.charge_type_id = ct.id)
        """)
        services = cursor.rowcount
    return {"rent_charges": rents, "service_charges": services,
            "accounts": open_missing_rent_accounts(), **seed_rent_setting()}


# CPI of the previous September for each year's rents. 2025/26 and 2026/27 are the real
# figures (September 2024: 1.7%; September 2025: 3.8%); 2027/28 and 2028/29 are illustrative,
# with the convergence uplift of £1 and £2 a week the Rent Standard allows from those years.
DEMO_POLICIES = [
    ("2025/26", "1.70", 0),
    ("2026/27", "3.80", 0),
    ("2027/28", "3.00", 100),
    ("2028/29", "3.00", 200),
]


def seed_rent_setting() -> dict:
    """Rent policies for 2025/26 to 2028/29, and a formula rent for 2026/27 for every home
    with a net rent: between 96% and 108% of the rent it pays in March 2027 (by the home's
    id), so some homes are above formula rent, some reach it with the uplift and some
    converge towards it. Set-based; adds nothing already there."""
    from decimal import Decimal

    from rents.models import RentPolicy, RentYear

    years = {year.label: year for year in RentYear.objects.filter(
        label__in=[label for label, _, _ in DEMO_POLICIES])}
    policies = RentPolicy.objects.bulk_create(
        [RentPolicy(rent_year=years[label], cpi_percent=Decimal(cpi), limit_margin_percent=1,
                    convergence_pence=convergence, outlier_change_pence=500)
         for label, cpi, convergence in DEMO_POLICIES if label in years],
        ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO rents_formularent (property_id, rent_year_id, weekly_pence)
            SELECT c.property_id, y.id, round(c.weekly_pence * (96 + c.property_id % 13) / 100.0)
            FROM rents_charge c
            JOIN rents_chargetype ct ON ct.id = c.charge_type_id AND ct.code = 'rent'
            JOIN rents_rentyear y ON y.label = '2026/27'
            WHERE c.weekly_pence > 0 AND c.start_date <= y.end_date
              AND (c.end_date IS NULL OR c.end_date >= y.end_date)
            ON CONFLICT (property_id, rent_year_id) DO NOTHING
        """)
        formula = cursor.rowcount
    return {"rent_policies": len(policies), "formula_rents": formula}
