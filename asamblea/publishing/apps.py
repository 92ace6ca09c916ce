from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "asamblea.publishing"
    label = "publishing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from asamblea.bodies.signals import recorded
        from asamblea.publishing.actions import on_poll_closed
        from asamblea.publishing.actions import on_recorded as settle_on_recorded
        from asamblea.publishing.sources import on_recorded
        from asamblea.voting.signals import poll_closed

        recorded.connect(on_recorded, dispatch_uid="publishing.on_recorded")
        poll_closed.connect(on_poll_closed, dispatch_uid="publishing.on_poll_closed")
        recorded.connect(settle_on_recorded, dispatch_uid="publishing.settle_on_recorded")
