from django.conf import settings
from django.urls import reverse

# (label, url name, permission) in the order the navigation shows them.
NAVIGATION = [
    ("Properties", "properties:index", "housing.use_properties"),
    ("Tenancies", "tenancies:index", "housing.use_tenancies"),
    ("Rents", "rents:index", "housing.use_rents"),
    ("Repairs", "repairs:index", "housing.use_repairs"),
    ("Voids", "voids:index", "housing.use_voids"),
    ("RTB & Leasehold", "rtb_leasehold:index", "housing.use_rtb_leasehold"),
    ("Reports", "reports:index", "housing.use_reports"),
]


def navigation_for(user) -> list[tuple[str, str]]:
    """The modules a staff user may open, as (label, url)."""
    if not (user.is_authenticated and user.is_council_staff):
        return []
    items = [(label, reverse(name)) for label, name, perm in NAVIGATION if user.has_perm(perm)]
    if user.is_staff:
        items.append(("Admin", reverse("admin:index")))
    return items


def shell(request):
    items = navigation_for(request.user)
    path = request.path
    return {
        "service_name": settings.SERVICE_NAME,
        "council_name": settings.COUNCIL_NAME,
        "nav_items": [
            {"label": label, "url": url, "active": url != "/" and path.startswith(url)}
            for label, url in items
        ],
    }
