"""What a web process would otherwise do during its first requests, done before it listens.

Django imports every URLconf (the API builds its routes then) on the first request, about
0.4 s, and compiles each template the first time it is used; the requests that arrive first,
usually all at once after a deploy, would wait behind that."""

import logging
from pathlib import Path

from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.template.backends.django import DjangoTemplates
from django.urls import get_resolver

logger = logging.getLogger("fieldops.web")


def warm_up() -> None:
    get_resolver().url_patterns  # noqa: B018 - the import of every URLconf is the point
    for engine in engines.all():
        if not isinstance(engine, DjangoTemplates):
            continue
        for directory in engine.engine.dirs:
            for path in Path(directory).rglob("*.html"):
                try:
                    engine.get_template(path.relative_to(directory).as_posix())
                except (TemplateDoesNotExist, TemplateSyntaxError):
                    logger.warning("Template %s did not load", path, exc_info=True)
