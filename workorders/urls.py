from django.urls import path

from workorders.views import detail, edit, files, fragments, office, raise_work, readings, reports
from workorders.views import requests as request_views

app_name = "workorders"
urlpatterns = [
    path("attachments/<uuid:attachment_id>/", files.attachment_file, name="attachment"),
    # technician and office pages (lead)
    path("work-orders/", office.work_order_list, name="list"),
    path("work-orders/new/", office.work_order_new, name="new"),
    path("work-orders/<str:number>/", detail.work_order_detail, name="detail"),
    path("work-orders/<str:number>/transition/", detail.transition, name="transition"),
    path("work-orders/<str:number>/assign/", detail.assign, name="assign"),
    path("work-orders/<str:number>/edit/", edit.work_order_edit, name="edit"),
    path("work-orders/<str:number>/notes/", detail.note_add, name="note"),
    path("work-orders/<str:number>/time/start/", detail.time_start, name="time-start"),
    path("work-orders/<str:number>/time/stop/", detail.time_stop, name="time-stop"),
    path("work-orders/<str:number>/time/log/", detail.time_log, name="time-log"),
    path("work-orders/<str:number>/parts/", detail.part_use, name="part"),
    path("work-orders/<str:number>/attachments/", detail.attachment_add, name="attachment-add"),
    path("work-orders/<str:number>/signature/", detail.signature_add, name="signature"),
    path("work-orders/<str:number>/request/", raise_work.job_request, name="job-request"),
    path("work-orders/<str:number>/readings/", readings.reading_add, name="reading"),
    path(
        "work-orders/<str:number>/checklist/<uuid:item_id>/", detail.checklist_answer, name="answer"
    ),
    path(
        "work-orders/<str:number>/checklist/<uuid:item_id>/follow-up/",
        detail.follow_up,
        name="follow-up",
    ),
    # requests: the no-login QR form, its status page, the dispatcher's triage (requests.py)
    path("r/<uuid:asset_id>/", request_views.request_form, name="request-form"),
    path("r/thanks/<str:token>/", request_views.request_thanks, name="request-thanks"),
    path("r/status/<str:token>/", request_views.request_status, name="request-status"),
    path("requests/", request_views.request_triage, name="requests"),
    path(
        "requests/<uuid:request_id>/approve/", request_views.request_approve, name="request-approve"
    ),
    path("requests/<uuid:request_id>/reject/", request_views.request_reject, name="request-reject"),
    path("requests/<uuid:request_id>/photo/", request_views.request_photo, name="request-photo"),
    # the printable service report (reports.py) and the asset page's work fragment (fragments.py)
    path("work-orders/<str:number>/report/", reports.service_report, name="report"),
    path(
        "work-orders/<str:number>/report/signature/<uuid:signature_id>/",
        reports.signature_image,
        name="report-signature",
    ),
    path("assets/<uuid:asset_id>/work/", fragments.asset_work, name="asset-work"),
]
