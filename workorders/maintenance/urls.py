from django.urls import path  # noqa: F401

app_name = "maintenance"
urlpatterns: list = []
