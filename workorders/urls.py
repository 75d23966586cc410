from django.urls import path

from workorders import views

app_name = "workorders"
urlpatterns = [
    path("attachments/<uuid:attachment_id>/", views.attachment_file, name="attachment"),
]
