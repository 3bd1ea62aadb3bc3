from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from housing import views

admin.site.site_header = f"{settings.COUNCIL_NAME} {settings.SERVICE_NAME}: administration"
admin.site.site_title = f"{settings.SERVICE_NAME} administration"

handler403 = "housing.views.permission_denied"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("search/", views.search, name="search"),
    path("jobs/", views.job_list, name="job-list"),
    path("jobs/sample/new/", views.sample_job_start, name="sample-job-start"),
    path("jobs/<int:pk>/", views.job_detail, name="job-detail"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job-progress"),
    path("patches/<int:pk>/", views.patch_detail, name="patch-detail"),
    path("properties/", include("housing.urls_properties")),
    path("people/", include("housing.urls_people")),
    path("tenancies/", include("tenancies.urls")),
    path("rents/", include("rents.urls")),
    path("repairs/", include("repairs.urls")),
    path("voids/", include("voids.urls")),
    path("rtb-leasehold/", include("rtb_leasehold.urls")),
    path("reports/", include("housing.urls_reports")),
    path("imports/", include("housing.urls_imports")),
    path("portal/", include("portal.urls")),
    path("contractor/", include("portal.contractor_urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
]
