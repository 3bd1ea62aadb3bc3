from django.urls import path

from housing.views import module_home

app_name = "rtb_leasehold"

urlpatterns = [
    path(
        "",
        module_home,
        {
            "title": "RTB and Leasehold",
            "perm": "housing.use_rtb_leasehold",
            "summary": "Right to Buy cases, leases, service charges and Section 20 consultation.",
        },
        name="index",
    ),
]
