from django.urls import path

from workorders.maintenance import views

app_name = "maintenance"
urlpatterns = [
    path("plans/", views.plan_list, name="plans"),
    path("plans/new/", views.plan_new, name="plan-new"),
    path("plans/preview/", views.plan_preview, name="plan-preview"),
    path("plans/forecast/", views.forecast_page, name="forecast"),
    path("plans/<uuid:plan_id>/", views.plan_detail, name="plan"),
    path("plans/<uuid:plan_id>/edit/", views.plan_edit, name="plan-edit"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_new, name="rule-new"),
    path("rules/<uuid:rule_id>/", views.rule_edit, name="rule"),
]
