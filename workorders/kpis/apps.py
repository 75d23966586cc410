from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "workorders.kpis"
    label = "kpis"
    verbose_name = "Supervisor dashboards and KPIs"

    def ready(self) -> None:
        from fieldops.events import subscribe
        from workorders.kpis.cache import CHANGED_BY, KPIS_GENERATION

        # Every committed change the figures count makes the shared figures stale (a sync
        # writes rows without per-row events: its end counts as one).
        for pattern in CHANGED_BY:
            subscribe(pattern, KPIS_GENERATION.bump_for, many=KPIS_GENERATION.bump_for_many)
