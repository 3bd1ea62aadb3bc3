from django.urls import path

from housing import register_views

app_name = "people"

urlpatterns = [
    path("<int:pk>/", register_views.person_detail, name="detail"),
    path("<int:pk>/edit/", register_views.person_edit, name="edit"),
    path("<int:pk>/alerts/new/", register_views.person_alert_new, name="alert-new"),
]
