"""Celery tasks of dispatch: thin, an id in, a service call out."""

from celery import shared_task

from workorders.dispatch.planning.services import day_plan_solve


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def day_plan_solve_task(plan_id: int) -> str:
    # Idempotent: a plan already solved is returned as it is.
    return day_plan_solve(plan_id=plan_id).status
