from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "workorders.dispatch"
    label = "dispatch"
    verbose_name = "Workforce and dispatch"

    def ready(self) -> None:
        from fieldops.events import subscribe

        # Registers the day-plan task in every process: the planning service enqueues it by
        # name (services never import tasks), and a web process never runs autodiscovery.
        from workorders.dispatch import tasks  # noqa: F401
        from workorders.dispatch.board_cache import BOARD_GENERATION

        # Every committed work-order change makes the boards' shared rendering stale.
        subscribe("workorder.*", BOARD_GENERATION.bump_for, many=BOARD_GENERATION.bump_for_many)
