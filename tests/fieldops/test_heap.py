"""A started worker settles what it loaded out of the garbage collector's sight, as a web process
does after its warm-up."""

import gc

import pytest
from celery.signals import worker_process_init, worker_ready

import fieldops.celery  # noqa: F401  (connects the worker signals)


@pytest.mark.parametrize("signal", [worker_process_init, worker_ready], ids=["child", "main"])
def test_a_started_worker_freezes_its_startup_heap(signal):
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        signal.send(sender=None)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
