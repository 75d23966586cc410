"""A web process compiles its templates before it listens, and starts even if one is broken."""

import copy
import gc
import logging
from types import SimpleNamespace

import pytest
from django.template import engines

from fieldops.web.warmup import warm_up


def _cached_loader():
    loader = engines["django"].engine.template_loaders[0]
    while not hasattr(loader, "get_template_cache"):  # template_partials wraps the cached one
        loader = loader.loaders[0]
    return loader


@pytest.fixture(autouse=True)
def _unfreeze():
    yield
    gc.unfreeze()


def test_warm_up_moves_what_it_loaded_out_of_the_collectors_sight():
    gc.unfreeze()
    warm_up()
    assert gc.get_freeze_count() > 0


def test_warm_up_compiles_the_project_and_app_templates():
    loader = _cached_loader()
    loader.reset()
    warm_up()
    cached = set(loader.get_template_cache)
    assert {"base.html", "dispatch/board.html", "maintenance/plan_list.html"} <= cached
    assert not any(name.startswith("admin/") for name in cached)


def test_a_broken_template_is_logged_and_the_rest_still_compile(settings, tmp_path, caplog):
    (tmp_path / "broken.html").write_text("{% if %}never closed")
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], tmp_path]
    settings.TEMPLATES = templates
    with caplog.at_level(logging.ERROR, logger="fieldops.web"):
        warm_up()
    assert any("broken.html" in record.getMessage() for record in caplog.records)
    assert "base.html" in _cached_loader().get_template_cache


def test_a_database_that_is_not_there_leaves_the_pool_open_and_connecting(monkeypatch, caplog):
    # pool.wait() would close the pool for good on its timeout: every later request of the
    # process would fail until a restart. The warm-up gives up waiting, never the pool.
    from psycopg_pool import ConnectionPool

    from fieldops.web import warmup

    pool = ConnectionPool(
        "postgresql://postgres@127.0.0.1:1/none?connect_timeout=1", min_size=2, open=False
    )

    unreachable = SimpleNamespace(pool=pool)
    monkeypatch.setattr(warmup, "connections", SimpleNamespace(all=lambda: [unreachable]))
    try:
        with caplog.at_level(logging.WARNING, logger="fieldops.web"):
            warmup._open_pools(timeout=0.3)
        assert not pool.closed
        assert any("keeps connecting" in record.getMessage() for record in caplog.records)
    finally:
        pool.close(timeout=1)
