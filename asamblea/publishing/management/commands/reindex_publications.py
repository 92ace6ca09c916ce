"""``asamblea reindex-publications``: rebuild what bodies publish from their ledgers.

Publications are indexed when their ledger entry is written; run this once after installing
the publishing app on a server with older decisions, or after restoring a backup. Idempotent.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from asamblea.bodies.models import Body
from asamblea.publishing.sources import reindex


class Command(BaseCommand):
    help = "Rebuild the resolutions, statements and minutes every body publishes, from its ledger."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("slugs", nargs="*", help="only these bodies (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        bodies = Body.objects.order_by("pk")
        if options["slugs"]:
            bodies = bodies.filter(slug__in=options["slugs"])
        written = reindex(bodies.iterator())
        self.stdout.write(f"{written} publications indexed from the ledgers.")
