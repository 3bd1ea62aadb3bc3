from django.urls import path

from housing import register_views

app_name = "properties"

urlpatterns = [
    path("", register_views.property_list, name="index"),
    path("new/", register_views.property_create, name="create"),
    path("<int:pk>/", register_views.property_detail, name="detail"),
    path("<int:pk>/edit/", register_views.property_edit, name="edit"),
]
