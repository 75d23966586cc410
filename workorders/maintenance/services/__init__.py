"""Every write with rules on maintenance plans and condition rules goes through a function here."""

from workorders.maintenance.services.completion import work_order_maintenance_sync
from workorders.maintenance.services.generation import GenerationReport, plans_generate_due
from workorders.maintenance.services.plans import (
    PlanSpec,
    plan_create,
    plan_update,
    targets_sync,
)
from workorders.maintenance.services.rules import (
    RuleSpec,
    rule_create,
    rule_evaluate,
    rule_update,
    rules_evaluate_for_meter,
    rules_evaluate_stale,
)

__all__ = [
    "GenerationReport",
    "PlanSpec",
    "RuleSpec",
    "plan_create",
    "plan_update",
    "plans_generate_due",
    "rule_create",
    "rule_evaluate",
    "rule_update",
    "rules_evaluate_for_meter",
    "rules_evaluate_stale",
    "targets_sync",
    "work_order_maintenance_sync",
]
