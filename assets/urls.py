from django.urls import path

from assets import views

app_name = "assets"
urlpatterns = [
    path("assets/", views.asset_list, name="list"),
    path("assets/labels/", views.label_sheet, name="labels"),
    path("assets/import/", views.asset_import, name="import"),
    path("assets/<uuid:asset_id>/", views.asset_detail, name="detail"),
    path("assets/<uuid:asset_id>/qr.svg", views.asset_qr, name="qr"),
    path("assets/<uuid:asset_id>/status/", views.asset_status, name="status"),
    path("meters/<uuid:meter_id>/reading/", views.reading_entry, name="reading"),
    path("readings/import/", views.readings_import, name="readings-import"),
    path("locations/", views.location_tree, name="locations"),
]
