from django.urls import path

from rents import account_views, views

app_name = "rents"

urlpatterns = [
    path("", views.index, name="index"),
    path("run/", views.rent_run_start, name="run-start"),
    path("accounts/<int:pk>/", account_views.account_detail, name="account"),
    path("accounts/<int:pk>/payments/new/", account_views.payment_new, name="payment-new"),
]
