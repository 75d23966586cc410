from django.urls import path

from integrations.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("<uuid:connection_id>/", views.inbound, name="inbound"),
]
