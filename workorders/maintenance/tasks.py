"""Celery tasks: thin, ids in, a service call out. Each is idempotent (unique occurrence rows,
one open firing per rule, checkpoints), so a redelivered message duplicates nothing."""

from celery import shared_task

from workorders.maintenance import services

RETRY = {"autoretry_for": (ConnectionError,), "retry_backoff": True, "max_retries": 5}


@shared_task(acks_late=True, **RETRY)
def plans_generate_due_task(organization_id: int | None = None) -> dict:
    report = services.plans_generate_due(organization_id=organization_id)
    return {"opened": report.opened, "skipped": report.skipped, "targets": report.targets}


@shared_task(acks_late=True, **RETRY)
def rules_evaluate_for_meter_task(organization_id: int, meter_id: str) -> int:
    return len(
        services.rules_evaluate_for_meter(organization_id=organization_id, meter_id=meter_id)
    )


@shared_task(acks_late=True, **RETRY)
def rules_evaluate_stale_task() -> int:
    return len(services.rules_evaluate_stale())


@shared_task(acks_late=True, **RETRY)
def work_order_maintenance_sync_task(work_order_id: str) -> None:
    services.work_order_maintenance_sync(work_order_id=work_order_id)
