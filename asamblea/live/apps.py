from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "asamblea.live"
    label = "live"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from asamblea.live import broker  # noqa: F401 - subscribes the broker to published events
