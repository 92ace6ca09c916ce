from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "asamblea.pledges"
    label = "pledges"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from asamblea.pledges.actions import on_poll_closed
        from asamblea.voting.signals import poll_closed

        poll_closed.connect(on_poll_closed, dispatch_uid="pledges.on_poll_closed")
