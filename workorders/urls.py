from django.urls import path

from workorders.views import files

app_name = "workorders"
urlpatterns = [
    path("attachments/<uuid:attachment_id>/", files.attachment_file, name="attachment"),
]
