"""Contractors for the demo council (`manage.py seed_demo`): three companies, each with a
contract covering every patch for its trades, a price for every sample SOR code of those
trades (a few pence off the schedule's, as a tendered contract would be), capacity of 4
morning and 4 afternoon appointments a day per trade, and a portal user. Adds only what is
missing, so a rerun changes nothing. Spend limits by role come with the defaults migration.
"""

from datetime import date

from django.db import transaction

from housing.demo import DEMO_PASSWORD
from housing.models import User
from repairs.models import (
    Capacity,
    Contract,
    Contractor,
    ContractorMember,
    ContractRate,
    SorCode,
    Trade,
)

CONTRACT_START = date(2024, 4, 1)
APPOINTMENTS = 4  # morning and afternoon, a day, per trade

# code, name, email, phone, contract reference, contract name, trades, portal user.
# contractor@ and contractor2@ are the contractor users the housing demo makes; the third
# company gets contractor3@.
CONTRACTORS = [
    ("valley-plumbing", "Valley Plumbing and Heating Ltd", "jobs@valley-plumbing.example",
     "01392 496100", "DEMO-PH-2024", "Responsive plumbing, heating and drainage",
     ["plumbing", "heating", "drainage"], ("contractor@demo.example", "Colin", "Lewis")),
    ("northgate-building", "Northgate Building Services Ltd",
     "repairs@northgate-building.example", "01392 496200", "DEMO-BT-2024",
     "Responsive building repairs",
     ["carpentry", "roofing", "plastering", "decorating", "glazing", "damp"],
     ("contractor2@demo.example", "Carla", "Morris")),
    ("castle-electrical", "Castle Electrical Contractors Ltd", "orders@castle-electrical.example",
     "01392 496300", "DEMO-EL-2024", "Responsive electrical repairs", ["electrical"],
     ("contractor3@demo.example", "Connor", "Nash")),
]


def price_difference(code: str) -> int:
    """A few pence either side of the schedule's price, the same for a code every time:
    -9p to +9p, never 0 (so the contract's price visibly wins)."""
    pence = sum(map(ord, code)) % 19 - 9
    return pence or 5


def demo_logins() -> list[tuple[str, str]]:
    """(email, company) for each contractor portal user the demo links, once seeded."""
    members = dict(ContractorMember.objects.filter(
        user__email__in=[login[0] for *_, login in CONTRACTORS]).values_list(
        "user__email", "contractor__name"))
    return [(email, members[email]) for *_, (email, _, _) in CONTRACTORS if email in members]


@transaction.atomic
def seed_repairs() -> dict:
    counts = {"contractors": 0, "portal_users": 0, "rates": 0, "capacities": 0}
    trades = {trade.code: trade for trade in Trade.objects.all()}
    rates, capacities = [], []
    for (code, name, email, phone, reference, contract_name, trade_codes,
         (login, first, last)) in CONTRACTORS:
        company, made = Contractor.objects.get_or_create(code=code, defaults={
            "name": name, "email": email, "phone": phone, "address": "Exeter"})
        counts["contractors"] += made
        # Every patch: a contract with no patches covers them all (repairs.models.Contract).
        contract, _ = Contract.objects.get_or_create(reference=reference, defaults={
            "contractor": company, "name": contract_name, "start_date": CONTRACT_START})
        its_trades = [trades[trade] for trade in trade_codes if trade in trades]
        contract.trades.add(*its_trades)
        user = User.objects.filter(email=login).first()
        if user is None:
            user = User.objects.create_user(email=login, password=DEMO_PASSWORD,
                                            first_name=first, last_name=last,
                                            kind=User.Kind.CONTRACTOR)
        if user.kind == User.Kind.CONTRACTOR:
            _, linked = ContractorMember.objects.get_or_create(
                user=user, defaults={"contractor": company})
            counts["portal_users"] += linked
        # The latest price of each SOR code of its trades (DISTINCT ON the code).
        latest = (SorCode.objects.filter(trade__in=its_trades).order_by("code", "-start_date")
                  .distinct("code").values_list("code", "unit_price_pence"))
        rates += [ContractRate(contract=contract, code=sor_code,
                               unit_price_pence=max(0, pence + price_difference(sor_code)))
                  for sor_code, pence in latest]
        capacities += [Capacity(contractor=company, trade=trade, am_jobs=APPOINTMENTS,
                                pm_jobs=APPOINTMENTS) for trade in its_trades]
    # The unique constraints (a rate per code per contract, a capacity per trade) make a
    # rerun add nothing.
    for model, rows, name in ((ContractRate, rates, "rates"),
                              (Capacity, capacities, "capacities")):
        before = model.objects.count()
        model.objects.bulk_create(rows, ignore_conflicts=True)
        counts[name] = model.objects.count() - before
    return counts
