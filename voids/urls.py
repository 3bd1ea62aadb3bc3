from voids import counciltax_views, kpi_views, letting_views, views

app_name = "voids"

urlpatterns = [
    *views.urlpatterns,  # the voids worklist, the void page, inspection and works, ready to let
    *letting_views.urlpatterns,  # offers, sign-up and the CORE lettings log
    *counciltax_views.urlpatterns,  # occupancy changes for Council Tax (list and CSV)
    *kpi_views.urlpatterns,  # relet times, rent loss, voids by stage and age
]
