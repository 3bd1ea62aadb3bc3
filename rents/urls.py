from django.urls import path

from housing.views import module_home

app_name = "rents"

urlpatterns = [
    path(
        "",
        module_home,
        {
            "title": "Rents",
            "perm": "housing.use_rents",
            "summary": "Rent accounts, the weekly rent run, payments and statements.",
        },
        name="index",
    ),
]
