from repairs import appointment_views, awaab_views, invoice_views, report_views, views

app_name = "repairs"

urlpatterns = [
    *views.urlpatterns,  # the repairs home, repair requests and work orders
    *appointment_views.urlpatterns,  # booking and rebooking appointments
    *invoice_views.urlpatterns,  # contractors' invoices
    *awaab_views.urlpatterns,  # Awaab's Law hazard cases
    *report_views.urlpatterns,  # repairs reports (background jobs with CSVs)
]
