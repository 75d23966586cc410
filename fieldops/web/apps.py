from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fieldops.web"
    label = "web"
    verbose_name = "Pages, health and PWA plumbing"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from fieldops.web.pgtime import send_datetimes_in_utc

        connection_created.connect(send_datetimes_in_utc, dispatch_uid="fieldops-utc-datetimes")
