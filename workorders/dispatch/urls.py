from django.urls import path

from workorders.dispatch import views

app_name = "dispatch"
# The board itself is the site-wide "board" route (fieldops/urls.py), dispatchers' home.
urlpatterns = [
    path("board/plan/", views.plan, name="plan"),
]
