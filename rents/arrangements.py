"""Payment arrangements: an amount every week or month on top of the rent, agreed with the
tenant; its schedule of expected payments against what was paid; a manager's approval for a
term longer than the policy allows; and the officer's review of a breach."""

from datetime import date

from rents.models import RentAccount


def case_panel(account: RentAccount, *, user, today: date) -> dict:
    """What the case page's arrangement section shows (_arrangement.html)."""
    return {}
