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
            "accounts": open_missing_rent_accounts()}
