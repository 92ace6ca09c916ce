from django.apps import AppConfig


class VotingConfig(AppConfig):
    name = "asamblea.voting"
    label = "voting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Voting sits above bodies and meetings: their pages and actions call it through these.
        from asamblea.bodies.signals import body_viewed
        from asamblea.meetings.signals import meeting_closing, meeting_due, minutes_sections
        from asamblea.voting.actions import on_body_viewed, on_meeting_due
        from asamblea.voting.queries import meeting_close_blocker, minutes_votes

        meeting_due.connect(on_meeting_due, dispatch_uid="voting.on_meeting_due")
        body_viewed.connect(on_body_viewed, dispatch_uid="voting.on_body_viewed")
        minutes_sections.connect(minutes_votes, dispatch_uid="voting.minutes_votes")
        meeting_closing.connect(meeting_close_blocker, dispatch_uid="voting.meeting_close_blocker")
