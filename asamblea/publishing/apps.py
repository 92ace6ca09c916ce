from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "asamblea.publishing"
    label = "publishing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from asamblea.bodies.signals import recorded
        from asamblea.publishing.sources import on_recorded

        recorded.connect(on_recorded, dispatch_uid="publishing.on_recorded")
