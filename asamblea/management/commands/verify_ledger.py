from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from asamblea.ledger.actions import all_chains, verify_chain


class Command(BaseCommand):
    help = "Verify every ledger chain end to end; name the first broken entry of each."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("chains", nargs="*", help="chains to check (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        chains = options["chains"] or all_chains()
        broken = 0
        for chain in chains:
            result = verify_chain(chain)
            if result.ok:
                self.stdout.write(f"OK      {chain}: {result.count} entries, head {result.head}")
            else:
                broken += 1
                self.stdout.write(f"BROKEN  {chain}: entry {result.broken_at}: {result.reason}")
        if broken:
            raise CommandError(f"{broken} of {len(chains)} ledger chains are broken")
        self.stdout.write(f"{len(chains)} ledger chains verified")
