from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "fieldops.realtime"
    label = "realtime"

    def ready(self) -> None:
        from fieldops.events import subscribe
        from fieldops.realtime.broadcast import broadcast_event

        subscribe("*", broadcast_event)
