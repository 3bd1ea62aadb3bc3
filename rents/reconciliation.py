"""The letters reconciliation: for every arrears case, the letters due against the letters
produced, so a stalled stage shows up and cannot be missed."""

from datetime import date

from rents.models import RentAccount


def case_panel(account: RentAccount, *, user, today: date) -> dict:
    """What the case page's reconciliation shows (templates/rents/arrears/_reconciliation.html)."""
    return {}
