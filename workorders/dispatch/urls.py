from django.urls import path

from workorders.dispatch import views
from workorders.dispatch.planning import views as planning

app_name = "dispatch"
# The board itself is the site-wide "board" route (fieldops/urls.py), dispatchers' home.
urlpatterns = [
    path("board/plan/", views.plan, name="plan"),
    path("board/day-plan/", planning.day_plan_new, name="day-plan-new"),
    path("board/day-plan/<uuid:day_plan_id>/", planning.day_plan, name="day-plan"),
    path(
        "board/day-plan/<uuid:day_plan_id>/accept/",
        planning.day_plan_accept,
        name="day-plan-accept",
    ),
]
