from portal import contractor_views

app_name = "contractor"

urlpatterns = [*contractor_views.urlpatterns]
