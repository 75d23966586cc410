import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

from fieldops.heap import freeze_startup_heap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldops.settings")

app = Celery("fieldops", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect  # each prefork child, once forked
@worker_ready.connect  # the main process (it runs the tasks itself with the solo or threads pool)
def _freeze_startup_heap(**kwargs: object) -> None:
    freeze_startup_heap()
