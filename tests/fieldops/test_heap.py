"""A started worker settles what it loaded out of the garbage collector's sight, as a web process
does after its warm-up; a prefork parent does it before it forks, and never collects after."""

import gc

import pytest
from celery.signals import worker_before_create_process, worker_ready

import fieldops.celery  # noqa: F401  (connects the worker signals)


@pytest.fixture
def unfrozen(monkeypatch):
    collections = []
    real_collect = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *a: collections.append(a) or real_collect(*a))
    gc.unfreeze()
    yield collections
    gc.unfreeze()


def test_a_worker_that_does_not_fork_collects_and_freezes_once_ready(unfrozen):
    worker_ready.send(sender=None)
    assert gc.get_freeze_count() > 10_000
    assert len(unfrozen) == 1


def test_a_prefork_parent_freezes_before_each_child_and_collects_only_before_the_first(unfrozen):
    worker_before_create_process.send(sender=None)
    frozen = gc.get_freeze_count()
    assert frozen > 10_000
    assert len(unfrozen) == 1
    worker_before_create_process.send(sender=None)  # a child replaced
    worker_ready.send(sender=None)  # the parent is ready once its children run
    assert len(unfrozen) == 1
    assert gc.get_freeze_count() >= frozen
