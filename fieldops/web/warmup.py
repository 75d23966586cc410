"""What a web process would otherwise do during its first requests, done before it listens.

Django imports every URLconf (the API builds its routes then) on the first request, about
0.4 s, and compiles each template the first time it is used; the requests that arrive first,
usually all at once after a deploy, would wait behind that. The PostgreSQL pool opens with its
first connection (``min_size``), so the first request does not connect. Last, what was
loaded so far is moved out of the garbage collector's sight (``gc.freeze``): it lives as long
as the process, and each full collection walked all 200,000 objects of it, about 90 ms with
every request of the process stopped."""

import logging
import time
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.template import engines
from django.template.backends.django import DjangoTemplates
from django.template.utils import get_app_template_dirs
from django.urls import get_resolver

from fieldops.heap import freeze_startup_heap

logger = logging.getLogger("fieldops.web")
POOL_FILL_SECONDS = 5.0


def warm_up() -> None:
    """Never stops a process from starting: what fails here fails again, visibly, on its page."""
    _compile()
    _open_pools()
    freeze_startup_heap()


def _open_pools(timeout: float = POOL_FILL_SECONDS) -> None:
    """Open each PostgreSQL pool and wait, up to ``timeout``, for its ``min_size`` connections.

    Never ``pool.wait()``: on a timeout it closes the pool for good, and every request of the
    process would fail until a restart. Here a slow or absent database only logs: the open
    pool keeps connecting in the background, and meanwhile requests answer 503."""
    try:
        pools = [p for c in connections.all() if (p := getattr(c, "pool", None)) is not None]
        for pool in pools:
            pool.open()
        deadline = time.monotonic() + timeout
        for pool in pools:
            while (available := pool.get_stats().get("pool_available", 0)) < pool.min_size:
                if time.monotonic() >= deadline:
                    logger.warning(
                        "The database pool %s has %s of its %s connections after %.0f s; it "
                        "keeps connecting",
                        pool.name,
                        available,
                        pool.min_size,
                        timeout,
                    )
                    break
                time.sleep(0.02)
    except Exception:
        logger.exception("The database pools did not open at start")


def _compile() -> None:
    try:
        get_resolver().url_patterns  # noqa: B018 - the import of every URLconf is the point
    except Exception:
        logger.exception("The URLconf did not load")
    root = Path(settings.BASE_DIR)
    project_apps = [Path(d) for d in get_app_template_dirs("templates")]
    for engine in engines.all():
        if not isinstance(engine, DjangoTemplates):
            continue
        directories = [Path(d) for d in engine.engine.dirs]
        # The project's apps, not Django's or third parties' (the admin alone has hundreds).
        directories += [
            d for d in project_apps if root in d.parents and "site-packages" not in d.parts
        ]
        for directory in directories:
            for path in directory.rglob("*.html"):
                try:
                    engine.get_template(path.relative_to(directory).as_posix())
                except Exception:
                    logger.exception("Template %s did not load", path)
