from repairs import awaab_views, views

app_name = "repairs"

urlpatterns = [
    *views.urlpatterns,  # the repairs home, repair requests and work orders
    *awaab_views.urlpatterns,  # Awaab's Law hazard cases
]
