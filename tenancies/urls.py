from django.urls import path

from housing.views import module_home

app_name = "tenancies"

urlpatterns = [
    path(
        "",
        module_home,
        {
            "title": "Tenancies",
            "perm": "housing.use_tenancies",
            "summary": "Tenancies, households and tenancy events.",
        },
        name="index",
    ),
]
