"""The account page's server time, for `manage.py bench` (`statement_p95_ms`).

The page is asked for as an officer opens it: page one of a random rent account's ledger,
through the whole middleware stack, in process (Django's test Client, no network), by a Team
Leader (every patch, the rent permissions), so the permission checks are the real ones. The
accounts are drawn with a fixed seed, so the same data gives the same sample.
"""

import random
import statistics
import time

from django.contrib.auth.models import Group
from django.test import Client

from housing import roles
from housing.models import User
from rents.models import RentAccount

SEED = 53  # the sample's
WARM_UP = 10


def bench_user() -> User:
    """A Team Leader who sees every patch (no MFA step: not an administrator)."""
    user, _ = User.objects.get_or_create(
        email="bench.statements@example.invalid",
        defaults={"first_name": "Bench", "last_name": "Statements", "kind": User.Kind.STAFF})
    user.groups.add(Group.objects.get(name=roles.TEAM_LEADER))
    return user


def bench_account_page(*, samples: int = 200) -> dict:
    """Time GET /rents/accounts/<pk>/ for `samples` random rent accounts (after a few
    untimed requests to warm up). Returns the 95th percentile and the median, in ms."""
    ids = list(RentAccount.objects.filter(kind=RentAccount.Kind.RENT)
               .order_by("pk").values_list("pk", flat=True))
    if not ids:
        raise ValueError("There are no rent accounts to time: seed the council first.")
    rng = random.Random(SEED)
    chosen = rng.sample(ids, samples) if len(ids) >= samples else rng.choices(ids, k=samples)
    client = Client()
    client.force_login(bench_user())
    for pk in rng.choices(ids, k=WARM_UP):
        _get(client, pk)
    times = []
    for pk in chosen:
        started = time.perf_counter()
        _get(client, pk)
        times.append(time.perf_counter() - started)
    p95 = statistics.quantiles(times, n=100, method="inclusive")[94] if len(times) > 1 \
        else times[0]
    return {"statement_p95_ms": round(p95 * 1000, 2),
            "statement_p50_ms": round(statistics.median(times) * 1000, 2)}


def _get(client: Client, pk: int) -> None:
    response = client.get(f"/rents/accounts/{pk}/")
    if response.status_code != 200:
        raise RuntimeError(f"/rents/accounts/{pk}/ answered {response.status_code}")
