from django.urls import path

from workorders.kpis import views

app_name = "kpis"
urlpatterns = [
    path("dashboard/export/<slug:table>.csv", views.export, name="export"),
]
