from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from fieldops.accounts import views as account_views
from fieldops.api import api
from fieldops.web import views as web_views
from workorders.dispatch import views as dispatch_views
from workorders.kpis import views as kpi_views
from workorders.views import technician

urlpatterns = [
    path("", web_views.home, name="home"),
    path("healthz", web_views.healthz, name="healthz"),
    path("manifest.webmanifest", web_views.manifest, name="manifest"),
    path("sw.js", web_views.service_worker, name="service-worker"),
    path("offline/", web_views.offline, name="offline"),
    path("login/", account_views.ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("no-organization/", web_views.no_organization, name="no-organization"),
    # role homes: technicians' My work (work orders), dispatchers' board (dispatch)
    path("my-work/", technician.my_work, name="my-work"),
    path("board/", dispatch_views.board, name="board"),
    path("dashboard/", kpi_views.dashboard, name="dashboard"),
    path("account/tokens/", account_views.token_list, name="account-tokens"),
    path(
        "account/tokens/<str:token_id>/revoke/",
        account_views.token_revoke,
        name="account-token-revoke",
    ),
    path("api/v1/", api.urls),
    path("", include("assets.urls")),
    path("", include("workorders.urls")),
    path("", include("workorders.maintenance.urls")),
    path("", include("workorders.dispatch.urls")),
    path("", include("workorders.offline.urls")),
    path("", include("workorders.kpis.urls")),
    path("integrations/webhooks/", include("integrations.webhooks.urls")),
    path("integrations/", include("integrations.urls")),
    path("admin/", admin.site.urls),
]
# A database or Redis that went away mid-request answers 503 with Retry-After, not a 500.
handler500 = "fieldops.web.middleware.server_error"
