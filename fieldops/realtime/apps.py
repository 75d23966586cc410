from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "fieldops.realtime"
    label = "realtime"

    def ready(self) -> None:
        from fieldops.events import subscribe
        from fieldops.realtime.batch import broadcast_events
        from fieldops.realtime.broadcast import broadcast_event

        subscribe("*", broadcast_event, many=broadcast_events)
