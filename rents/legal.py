"""The NOSP and the court: a notice's served date and expiry, and the court stages (hearing,
outcome, warrant, eviction), each adding a row to the case diary."""

from datetime import date

from rents.models import RentAccount


def case_panel(account: RentAccount, *, user, today: date) -> dict:
    """What the case page's legal section shows (templates/rents/arrears/_legal.html)."""
    return {}
