from django.apps import AppConfig


class CoordinationConfig(AppConfig):
    name = "asamblea.coordination"
    label = "coordination"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from asamblea.coordination.actions import on_poll_closed, on_poll_closing
        from asamblea.voting.signals import poll_closed, poll_closing

        poll_closed.connect(on_poll_closed, dispatch_uid="coordination.on_poll_closed")
        poll_closing.connect(on_poll_closing, dispatch_uid="coordination.on_poll_closing")

        # A verifiable delegate election settles when its approval election closes.
        from asamblea.coordination.actions import on_election_closed
        from asamblea.elections.signals import election_closed

        election_closed.connect(on_election_closed, dispatch_uid="coordination.on_election_closed")

        from asamblea.bodies.signals import recorded
        from asamblea.coordination.anchoring import on_recorded

        recorded.connect(on_recorded, dispatch_uid="coordination.anchor_on_closing")
