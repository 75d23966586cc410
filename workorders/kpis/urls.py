from django.urls import path

from workorders.kpis import views

app_name = "kpis"
urlpatterns = [
    path("dashboard/export/<slug:table>.csv", views.export, name="export"),
    path("dashboard/assets/", views.assets_view, name="assets"),
    path("dashboard/work/", views.work_view, name="work"),
    path("dashboard/people/", views.workforce_view, name="people"),
]
