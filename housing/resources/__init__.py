"""Imports and exports of the register: estates, blocks, homes and people (django-import-export).

This is how a council brings its data across from the old system, so every import:
- checks each row and says, per row and column, what to fix (`check_row`, the widgets and the
  model's own validation, with constraint names turned into sentences);
- keeps nothing unless every row is good: the file runs in one transaction, which is rolled
  back on any bad row (`CouncilResource.import_data` forces this; the library on its own keeps
  the good rows when others fail validation);
- matches existing records by a natural key (estate and block code, UPRN, a person's name and
  date of birth, tenancy reference), so a rerun updates them and never duplicates a record;
- works in sets: what the file refers to is loaded in a query or two, rows are checked in
  Python, and records are written with bulk_create/bulk_update and their history rows (a few
  dozen queries for a file of thousands of homes).

Row numbers in messages are spreadsheet rows: the headings are row 1, the first record row 2.
(`Result.invalid_rows[].number` counts records from 1; add one for the spreadsheet row.)

The columns of each file are `columns` on each resource: the admin import page shows them, and
docs/imports.md describes them with an example of each file.
"""

from housing.resources.register import (
    BlockResource,
    EstateResource,
    PersonResource,
    PropertyResource,
)

__all__ = ["BlockResource", "EstateResource", "PersonResource", "PropertyResource"]
