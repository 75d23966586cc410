"""A started worker settles what it loaded out of the garbage collector's sight, as a web process
does after its warm-up: a prefork parent before it forks, a child forked without that signal
once it starts, a worker that never forks once it is ready."""

import gc

import pytest
from celery.signals import worker_before_create_process, worker_process_init, worker_ready

import fieldops.celery  # noqa: F401  (connects the worker signals)


@pytest.fixture
def collections(monkeypatch):
    made = []
    real_collect = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *a: made.append(a) or real_collect(*a))
    gc.unfreeze()
    yield made
    gc.unfreeze()


@pytest.mark.parametrize("started", [worker_process_init, worker_ready], ids=["child", "solo"])
def test_a_worker_process_not_frozen_before_it_started_freezes_once(collections, started):
    started.send(sender=None)
    assert gc.get_freeze_count() > 10_000
    started.send(sender=None)
    assert len(collections) == 1


def test_a_prefork_parent_freezes_before_each_child_and_the_children_do_not_again(collections):
    worker_before_create_process.send(sender=None)
    assert gc.get_freeze_count() > 10_000
    worker_process_init.send(sender=None)  # in the child: inherited frozen
    worker_before_create_process.send(sender=None)  # a child replaced
    worker_ready.send(sender=None)
    assert len(collections) == 2
