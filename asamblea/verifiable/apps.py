from django.apps import AppConfig


class VerifiableConfig(AppConfig):
    name = "asamblea.verifiable"
    label = "verifiable"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A verifiable poll closes when its trustees have decrypted the tally: voting asks
        # before any close (``poll_closing``) and this app refuses an early one.
        from asamblea.bodies.signals import body_viewed
        from asamblea.verifiable.actions import on_body_viewed, on_poll_closing
        from asamblea.voting.signals import poll_closing

        poll_closing.connect(on_poll_closing, dispatch_uid="verifiable.on_poll_closing")
        # A meeting waits for its verifiable vote's ballot box, not for its trustees, and a
        # meeting closing by itself closes that ballot box (or cancels a vote never opened).
        from asamblea.meetings.signals import meeting_closing, meeting_due
        from asamblea.verifiable.actions import meeting_close_blocker, on_meeting_due

        meeting_closing.connect(
            meeting_close_blocker, dispatch_uid="verifiable.meeting_close_blocker"
        )
        meeting_due.connect(on_meeting_due, dispatch_uid="verifiable.on_meeting_due")
        # The body's page closes the ballot boxes that are due (``asamblea close-due`` too).
        body_viewed.connect(on_body_viewed, dispatch_uid="verifiable.on_body_viewed")
        # A verifiable consultation: its assemblies' polls take its election key, and its close
        # puts their encrypted tallies on its board.
        from asamblea.coordination.signals import consultation_closing, consultation_poll_opened
        from asamblea.verifiable.consultations import (
            on_consultation_closing,
            on_consultation_poll_opened,
        )

        consultation_poll_opened.connect(
            on_consultation_poll_opened, dispatch_uid="verifiable.on_consultation_poll_opened"
        )
        consultation_closing.connect(
            on_consultation_closing, dispatch_uid="verifiable.on_consultation_closing"
        )
