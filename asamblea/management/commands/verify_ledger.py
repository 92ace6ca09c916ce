import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from asamblea.coordination.anchoring import ANCHOR
from asamblea.coordination.audit import audit_coordination
from asamblea.elections.audit import audit_elections
from asamblea.ledger.actions import all_chains, check_head, verify_chain
from asamblea.ledger.chain import Head, HeadsFileError, parse_heads
from asamblea.ledger.models import LedgerEntry
from asamblea.voting.audit import audit_votes


class Command(BaseCommand):
    help = (
        "Verify every ledger chain end to end; check the heads anchored in other bodies' "
        "ledgers and in heads files saved earlier (--heads); recount every closed vote, "
        "election, consultation and delegates' vote and compare with the stored results and "
        "the ledger. Names every problem; exits with an error if there is one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("chains", nargs="*", help="chains to check (default: all)")
        parser.add_argument(
            "--heads",
            action="append",
            default=[],
            metavar="FILE",
            help="a heads file (JSON) downloaded earlier from a ledger page; may be repeated",
        )
        parser.add_argument(
            "--no-recount", action="store_true", help="skip recounting the closed votes"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        saved = [head for path in options["heads"] for head in self._read_heads(path)]
        chains = options["chains"] or all_chains()
        broken = 0
        for chain in chains:
            result = verify_chain(chain)
            if result.ok:
                self.stdout.write(f"OK      {chain}: {result.count} entries, head {result.head}")
            else:
                broken += 1
                self.stdout.write(f"BROKEN  {chain}: entry {result.broken_at}: {result.reason}")
        contradicted = self._check_anchors(chains)
        for head in saved:
            why = check_head(head)
            if why:
                contradicted += 1
                self.stdout.write(f"BROKEN  {head.chain}: against the heads file: {why}")
        self.stdout.write(f"{len(saved)} heads from heads files checked")
        mismatches = 0 if options["no_recount"] else self._recount()
        problems = []
        if broken:
            problems.append(f"{broken} of {len(chains)} ledger chains are broken")
        if contradicted:
            problems.append(f"{contradicted} anchored or saved heads contradict the chains")
        if mismatches:
            problems.append(f"{mismatches} recounts disagree with the results or the ledger")
        if problems:
            raise CommandError("; ".join(problems))
        self.stdout.write(f"{len(chains)} ledger chains verified")

    def _read_heads(self, path: str) -> list[Head]:
        try:
            return parse_heads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, HeadsFileError) as exc:
            raise CommandError(f"cannot read the heads file {path}: {exc}") from None

    def _check_anchors(self, chains: list[str]) -> int:
        """Every head a chain anchored from another must still hold in that other chain."""
        problems = checked = 0
        anchors = LedgerEntry.objects.filter(chain__in=chains, kind=ANCHOR).order_by("chain", "seq")
        for entry in anchors.iterator(chunk_size=500):
            for item in json.loads(entry.payload).get("heads", []):
                checked += 1
                why = check_head(Head(item["chain"], item["length"], item["hash"]))
                if why:
                    problems += 1
                    self.stdout.write(
                        f"BROKEN  {item['chain']}: against the anchor in "
                        f"{entry.chain} entry {entry.seq}: {why}"
                    )
        self.stdout.write(f"{checked} anchored heads checked")
        return problems

    def _recount(self) -> int:
        problems = counted = 0
        for audits in (audit_votes(), audit_elections(), audit_coordination()):
            for _what, found in audits:
                counted += 1
                for why in found:
                    problems += 1
                    self.stdout.write(f"MISMATCH {why}")
        self.stdout.write(f"{counted} closed votes, elections and consultations recounted")
        return problems
