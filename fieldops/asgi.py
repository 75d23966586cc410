import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldops.settings")
# A web process borrows PostgreSQL connections from a pool (see settings), 10 unless the
# environment says otherwise; the default is not left in the environment, where processes this
# one starts (a test's Celery worker) would inherit it.
_pool_size_given = "DATABASE_POOL_SIZE" in os.environ
os.environ.setdefault("DATABASE_POOL_SIZE", "10")
django_asgi_app = get_asgi_application()
if not _pool_size_given:
    del os.environ["DATABASE_POOL_SIZE"]

# Imported after Django is set up: consumers import models.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from fieldops.realtime.routing import websocket_urlpatterns  # noqa: E402
from fieldops.web.warmup import warm_up  # noqa: E402

warm_up()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
