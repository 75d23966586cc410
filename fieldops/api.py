"""The API root: composes every app's router under /api/v1."""

from assets.api import router as assets_router
from fieldops.accounts.api import router as accounts_router
from fieldops.accounts.auth import api_auth
from fieldops.api_errors import EnvelopeAPI, install_error_handlers
from fieldops.realtime.api import router as realtime_router
from fieldops.throttling import ActorRateThrottle, AddressRateThrottle
from integrations.api import router as integrations_router
from integrations.webhooks.api import router as webhooks_router
from workorders.api import router as workorders_router
from workorders.dispatch.api import router as dispatch_router
from workorders.kpis.api import router as kpis_router
from workorders.maintenance.api import router as maintenance_router
from workorders.offline.api import router as offline_router

api = EnvelopeAPI(
    title="FieldOps API",
    version="1",
    description=(
        "Work orders, assets, maintenance and the unified ERP layer. Errors always come as "
        '`{"error": {"code", "message", "details"}}`. Lists page with `?cursor=&limit=`.'
    ),
    urls_namespace="api",
    auth=api_auth,
    throttle=[ActorRateThrottle(), AddressRateThrottle()],
)
install_error_handlers(api)

api.add_router("/", accounts_router)
api.add_router("/system", realtime_router)
api.add_router("/", assets_router)
api.add_router("/", workorders_router)
api.add_router("/", maintenance_router)
api.add_router("/", dispatch_router)
api.add_router("/sync", offline_router)
api.add_router("/", kpis_router)
api.add_router("/integrations", integrations_router)
api.add_router("/webhooks", webhooks_router)
