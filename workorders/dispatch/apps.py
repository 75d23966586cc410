from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "workorders.dispatch"
    label = "dispatch"
    verbose_name = "Workforce and dispatch"

    def ready(self) -> None:
        from fieldops.events import subscribe
        from workorders.dispatch.board_cache import (
            board_generation_bump_for,
            board_generation_bump_for_many,
        )

        # Every committed work-order change makes the boards' shared rendering stale.
        subscribe("workorder.*", board_generation_bump_for, many=board_generation_bump_for_many)
