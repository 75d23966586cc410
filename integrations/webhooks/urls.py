from django.urls import path

from integrations.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("<uuid:connection_id>/", views.inbound, name="inbound"),
    path("monitor/", views.monitor, name="monitor"),
    path("endpoints/", views.endpoints, name="endpoints"),
    path("flows/", views.flows, name="flows"),
    path("deliveries/<uuid:delivery_id>/redeliver/", views.redeliver, name="redeliver"),
    path("alerts/<int:alert_id>/dismiss/", views.alert_dismiss, name="alert-dismiss"),
]
