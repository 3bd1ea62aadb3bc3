"""Demo users for `make run`: one per role, two tenants, two contractors. Created only by
`manage.py seed_demo`, never in production."""

from django.contrib.auth.models import Group
from django.db import transaction

from housing import roles
from housing.models import Patch, User

DEMO_PASSWORD = "demo-password-2026"

STAFF = [
    ("customer@demo.example", "Chloe", "Adams", roles.CUSTOMER_ACCESS, []),
    ("officer@demo.example", "Oliver", "Bennett", roles.HOUSING_OFFICER, ["north"]),
    ("income@demo.example", "Imogen", "Clarke", roles.INCOME_OFFICER, ["north"]),
    ("repairs@demo.example", "Ravi", "Desai", roles.REPAIRS_OFFICER, []),
    ("lettings@demo.example", "Leah", "Evans", roles.LETTINGS_OFFICER, []),
    ("leasehold@demo.example", "Liam", "Foster", roles.LEASEHOLD_OFFICER, []),
    ("counciltax@demo.example", "Carys", "Green", roles.COUNCIL_TAX, []),
    ("teamleader@demo.example", "Tom", "Hughes", roles.TEAM_LEADER, ["north", "south"]),
    ("admin@demo.example", "Ada", "Iqbal", roles.SYSTEM_ADMINISTRATOR, []),
]
TENANTS = [("tenant@demo.example", "Tara", "Jones"), ("tenant2@demo.example", "Tomasz", "Kowalski")]
CONTRACTORS = [
    ("contractor@demo.example", "Colin", "Lewis"),
    ("contractor2@demo.example", "Carla", "Morris"),
]
PATCHES = [("north", "North"), ("south", "South"), ("central", "Central")]


@transaction.atomic
def create_demo_users() -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    patches = {code: Patch.objects.get_or_create(code=code, defaults={"name": name})[0]
               for code, name in PATCHES}
    for email, first, last, role, patch_codes in STAFF:
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, first_name=first, last_name=last,
            kind=User.Kind.STAFF, job_title=role,
            is_staff=role == roles.SYSTEM_ADMINISTRATOR,
            is_superuser=role == roles.SYSTEM_ADMINISTRATOR,
        )
        user.groups.add(Group.objects.get(name=role))
        user.patches.set([patches[code] for code in patch_codes])
        if role == roles.SYSTEM_ADMINISTRATOR:
            TOTP.activate(user, generate_totp_secret())
    for email, first, last in TENANTS:
        User.objects.create_user(email=email, password=DEMO_PASSWORD, first_name=first,
                                 last_name=last, kind=User.Kind.TENANT)
    for email, first, last in CONTRACTORS:
        User.objects.create_user(email=email, password=DEMO_PASSWORD, first_name=first,
                                 last_name=last, kind=User.Kind.CONTRACTOR)


def demo_logins() -> list[tuple[str, str]]:
    """(email, what they are) for every demo user, for the console."""
    rows = [(email, role) for email, _, _, role, _ in STAFF]
    rows += [(email, "Tenant") for email, _, _ in TENANTS]
    rows += [(email, "Contractor") for email, _, _ in CONTRACTORS]
    return rows


def admin_totp_secret() -> str | None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    authenticator = Authenticator.objects.filter(
        user__email="admin@demo.example", type=Authenticator.Type.TOTP
    ).first()
    return decrypt(authenticator.data["secret"]) if authenticator else None


def link_demo_tenants() -> None:
    """Tie tenant@ and tenant2@ to the lead tenants of two live sole tenancies in the North
    patch (the demo housing officer's), so the portal has a home to show."""
    from tenancies.models import Tenancy, TenancyMember

    tenancies = (Tenancy.objects.filter(end_date__isnull=True, property__patch__code="north")
                 .select_related("property").order_by("reference"))
    taken = set(User.objects.exclude(person=None).values_list("person_id", flat=True))
    candidates = iter(tenancies)
    for email, _, _ in TENANTS:
        user = User.objects.get(email=email)
        if user.person_id:
            continue
        for tenancy in candidates:
            tenants = list(TenancyMember.objects.filter(
                tenancy=tenancy, role="tenant", end_date__isnull=True).select_related("person"))
            if len(tenants) == 1 and tenants[0].person_id not in taken:
                person = tenants[0].person
                user.person = person
                user.first_name, user.last_name = person.first_name, person.last_name
                user.save(update_fields=["person", "first_name", "last_name"])
                break
