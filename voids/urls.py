from django.urls import path

from housing.views import module_home

app_name = "voids"

urlpatterns = [
    path(
        "",
        module_home,
        {
            "title": "Voids",
            "perm": "housing.use_voids",
            "summary": "Empty homes from keys in to a new tenancy.",
        },
        name="index",
    ),
]
