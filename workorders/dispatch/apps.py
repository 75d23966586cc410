from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "workorders.dispatch"
    label = "dispatch"
    verbose_name = "Workforce and dispatch"

    def ready(self) -> None:
        from fieldops.events import subscribe
        from workorders.dispatch.board_cache import BOARD_GENERATION

        # Every committed work-order change makes the boards' shared rendering stale.
        subscribe("workorder.*", BOARD_GENERATION.bump_for, many=BOARD_GENERATION.bump_for_many)
