from voids import counciltax_views, kpi_views, letting_views, views

app_name = "voids"

urlpatterns = [
    *views.urlpatterns,  # the voids worklist, the void page, inspection and works, ready to let
    *letting_views.urlpatterns,  # offers and their answers, and the CORE lettings log
    # (the sign-up is the tenancy sign-up: tenancies.views.sign_up)
    *counciltax_views.urlpatterns,  # occupancy changes for Council Tax (list and CSV)
    *kpi_views.urlpatterns,  # relet times, rent loss, voids by stage and age
]
