from django.urls import path

from tenancies import views

app_name = "tenancies"

urlpatterns = [
    path("", views.tenancy_list, name="index"),
    path("sign-up/", views.sign_up, name="sign-up"),
    path("<int:pk>/", views.tenancy_detail, name="detail"),
    path("<int:pk>/letters/<int:letter_pk>/", views.letter_download, name="letter"),
    path("<int:pk>/<slug:action>/", views.tenancy_action, name="action"),
]
