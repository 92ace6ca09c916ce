from typing import Any

from django.core.management.base import BaseCommand

from asamblea.coordination.actions import close_due
from asamblea.coordination.anchoring import anchor_due
from asamblea.logistics.actions import sweep_due
from asamblea.meetings.actions import close_due_meetings
from asamblea.pledges.actions import settle_due as settle_due_pledges
from asamblea.surveys.actions import close_due as close_due_surveys
from asamblea.verifiable.actions import close_due as close_due_verifiable
from asamblea.voting.actions import close_due_polls


class Command(BaseCommand):
    help = (
        "Close and count every vote whose closing time has passed (a verifiable vote's ballot "
        "box closes with its encrypted tally on the board), close meetings in session "
        "for 24 hours, delete the exact details of solidarity matches and who travelled on "
        "trips once their dates have passed, lapse pledges past their deadline, close "
        "surveys past their time, and anchor the ledgers' "
        "heads in affiliated bodies' ledgers at least daily (run it from cron)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{close_due_polls()} votes closed")
        self.stdout.write(
            f"{close_due_verifiable()} verifiable ballot boxes closed (tally on the board)"
        )
        self.stdout.write(f"{close_due_meetings()} meetings closed after 24 hours in session")
        self.stdout.write(f"{close_due()} delegates' votes and consultations closed")
        self.stdout.write(f"{sweep_due()} matches' details and trips' travellers deleted")
        self.stdout.write(f"{settle_due_pledges()} pledges settled after their deadline")
        self.stdout.write(f"{close_due_surveys()} surveys closed")
        self.stdout.write(f"{anchor_due()} ledgers anchored in their affiliated bodies' ledgers")
