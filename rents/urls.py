from django.urls import path

from rents import (
    account_views,
    arrangement_views,
    arrears_run_views,
    arrears_views,
    legal_views,
    payment_file_views,
    report_views,
    setting_views,
    statement_views,
    views,
)

app_name = "rents"

urlpatterns = [
    path("", views.index, name="index"),
    path("run/", views.rent_run_start, name="run-start"),
    path("accounts/<int:pk>/", account_views.account_detail, name="account"),
    path("accounts/<int:pk>/payments/new/", account_views.payment_new, name="payment-new"),
    path("accounts/<int:pk>/refunds/new/", account_views.refund_new, name="refund-new"),
    path("accounts/<int:pk>/adjustments/new/", account_views.adjustment_new,
         name="adjustment-new"),
    path("accounts/<int:pk>/transfers/new/", account_views.transfer_new, name="transfer-new"),
    path("accounts/<int:pk>/transactions/<int:entry_pk>/reverse/", account_views.reversal_new,
         name="reversal-new"),
    path("accounts/<int:pk>/write-offs/new/", account_views.write_off_new,
         name="write-off-new"),
    path("write-offs/", account_views.write_off_list, name="write-offs"),
    path("write-offs/<int:pk>/approve/", account_views.write_off_approve,
         name="write-off-approve"),
    path("write-offs/<int:pk>/reject/", account_views.write_off_reject, name="write-off-reject"),
    path("payment-files/", payment_file_views.file_list, name="payment-files"),
    path("payment-files/upload/", payment_file_views.file_upload, name="payment-file-upload"),
    path("payment-files/<int:pk>/", payment_file_views.file_detail, name="payment-file"),
    path("suspense/", payment_file_views.suspense, name="suspense"),
    path("suspense/<int:pk>/allocate/", payment_file_views.allocate, name="suspense-allocate"),
    path("accounts/<int:pk>/statement/", statement_views.statement, name="statement"),
    path("reports/", report_views.index, name="reports"),
    path("reports/jobs/<int:pk>/csv/", report_views.report_csv, name="report-csv"),
    path("reports/<slug:kind>/", report_views.report_start, name="report-start"),
    path("setting/", setting_views.setting_index, name="setting"),
    path("setting/propose/", setting_views.review_propose, name="review-propose"),
    path("setting/reviews/<int:pk>/", setting_views.review_detail, name="review"),
    path("setting/reviews/<int:pk>/homes.csv", setting_views.review_lines_csv,
         name="review-csv"),
    path("setting/reviews/<int:pk>/approve/", setting_views.review_approve,
         name="review-approve"),
    path("setting/reviews/<int:pk>/reject/", setting_views.review_reject, name="review-reject"),
    path("setting/reviews/<int:pk>/letters/", setting_views.review_letters,
         name="review-letters"),
    path("arrears/run/", arrears_run_views.run_start, name="arrears-run"),
    *arrears_views.urlpatterns,  # the arrears worklist, cases and case work
    *arrangement_views.urlpatterns,  # payment arrangements
    *legal_views.urlpatterns,  # the NOSP and the court
]
