"""A web process compiles its templates before it listens."""

from django.template import engines

from fieldops.web.warmup import warm_up


def _cached_loader():
    loader = engines["django"].engine.template_loaders[0]
    while not hasattr(loader, "get_template_cache"):  # template_partials wraps the cached one
        loader = loader.loaders[0]
    return loader


def test_warm_up_compiles_the_project_templates():
    loader = _cached_loader()
    loader.reset()
    warm_up()
    cached = set(loader.get_template_cache)
    assert {"base.html", "dispatch/board.html", "kpis/dashboard.html"} <= cached
