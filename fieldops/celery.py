import gc
import os

from celery import Celery
from celery.signals import worker_before_create_process, worker_process_init, worker_ready

from fieldops.heap import freeze_startup_heap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldops.settings")

app = Celery("fieldops", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# The start-up heap is frozen once per process, as early as it is complete. Prefork with an
# asynchronous broker (Redis) sends worker_before_create_process in the parent, before each
# child: frozen before the fork, as gc.freeze's documentation advises, the children's
# collections never write to the pages they share with the parent. The embedded default's
# filesystem broker takes billiard's plain pool, which sends no such signal: each child freezes
# its own heap once forked. The solo and threads pools run tasks in the main process.
@worker_before_create_process.connect
def _freeze_before_fork(**kwargs: object) -> None:
    freeze_startup_heap()


@worker_process_init.connect
@worker_ready.connect
def _freeze_if_not_yet(**kwargs: object) -> None:
    if gc.get_freeze_count() == 0:
        freeze_startup_heap()
