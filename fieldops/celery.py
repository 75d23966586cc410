import gc
import os

from celery import Celery
from celery.signals import worker_before_create_process, worker_ready

from fieldops.heap import freeze_before_fork, freeze_startup_heap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldops.settings")

app = Celery("fieldops", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_before_create_process.connect  # prefork: in the parent, before each child
def _freeze_before_fork(**kwargs: object) -> None:
    freeze_before_fork()


@worker_ready.connect  # the solo and threads pools run tasks in this process, which never forks
def _freeze_started_worker(**kwargs: object) -> None:
    if gc.get_freeze_count() == 0:  # prefork froze before its first child, and must not collect
        freeze_startup_heap()
