"""``asamblea count FILE.blt``: recount a ballot file by any method, without a server.

Anyone who downloads an election's ballots (a BLT file) can recount them and compare with the
published result. The output is what the Electoral Reform Society's and OpenSTV's programs
print: the winners, then one column per stage or round with every candidate's votes, the
non-transferable (or exhausted) votes and what each stage did. ``--json`` prints the full
trace of the count instead, the same ``to_dict()`` the server publishes.

Pure Python: no Django, no database. A bad file or a bad option gives one line on standard
error and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from .ballots import BallotError
from .blt import BltElection, BltError, read_blt
from .irv import IrvResult, count_irv
from .plurality import MarksResult, count_approval, count_plurality
from .schulze import SchulzeResult, count_schulze
from .stv_meek import MeekStvResult, count_meek_stv
from .stv_scottish import ScottishStvResult, count_scottish_stv

METHODS = ("stv-scottish", "stv-meek", "irv", "schulze", "plurality", "approval")
NAME_WIDTH = 28

Result = ScottishStvResult | MeekStvResult | IrvResult | SchulzeResult | MarksResult


class RecountError(ValueError):
    """The file cannot be counted by the method asked for (e.g. IRV for two seats)."""


def recount(election: BltElection, method: str, seed: str = "") -> Result:
    """Count ``election`` by ``method`` (one of :data:`METHODS`).

    Plurality takes each ballot's first rank as its mark (a ballot whose first rank holds more
    candidates than seats is void); approval takes every candidate a ballot ranks. Methods
    without withdrawn candidates (Schulze, plurality, approval) count ballots with the
    withdrawn struck off.
    """
    names, ballots, seats = election.candidates, election.ballots, election.seats
    if method == "stv-scottish":
        return count_scottish_stv(names, ballots, seats, seed=seed, withdrawn=election.withdrawn)
    if method == "stv-meek":
        return count_meek_stv(names, ballots, seats, seed=seed, withdrawn=election.withdrawn)
    if method == "irv":
        if seats != 1:
            raise RecountError(f"irv fills one seat; this file has {seats} (try stv-scottish)")
        return count_irv(names, ballots, seed=seed, withdrawn=election.withdrawn)
    struck = [
        (tuple(r for r in (rank - election.withdrawn for rank in ballot) if r), count)
        for ballot, count in ballots
    ]
    if method == "schulze":
        return count_schulze(names, struck, seed=seed)
    if method == "plurality":
        firsts = [(ballot[0] if ballot else frozenset(), count) for ballot, count in struck]
        return count_plurality(names, firsts, seats, seed=seed)
    if method == "approval":
        marks = [(frozenset().union(*ballot), count) for ballot, count in struck]
        return count_approval(names, marks, seats, seed=seed)
    raise RecountError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def winners(result: Result, seats: int = 1) -> tuple[int, ...]:
    """The elected candidates, in order of election (Schulze: the first ``seats`` of its
    tie-broken order)."""
    if isinstance(result, ScottishStvResult | MeekStvResult):
        return result.winners
    if isinstance(result, IrvResult):
        return () if result.winner is None else (result.winner,)
    if isinstance(result, SchulzeResult):
        return result.order[:seats]
    return result.elected


def as_json(result: Result, seats: int) -> dict[str, Any]:
    """The full trace, with the winners and their names added for the reader."""
    data = result.to_dict()
    data["elected_in_order"] = list(winners(result, seats))
    data["elected_names"] = [result.candidates[c] for c in winners(result, seats)]
    return data


def report(result: Result, election: BltElection) -> str:
    """The printed count: title, method, winners, then the round-by-round table."""
    names = result.candidates
    lines = [election.title or "(untitled)", f"Method: {result.method}"]
    lines.append(f"Candidates: {len(names)}   Seats: {election.seats}")
    if election.withdrawn:
        lines.append("Withdrawn: " + ", ".join(names[c] for c in sorted(election.withdrawn)))
    lines.append("")
    elected = winners(result, election.seats)
    lines.append("Elected: " + ("; ".join(names[c] for c in elected) or "nobody"))
    lines.append("")
    lines.extend(_TABLES[type(result)](result))
    return "\n".join(lines) + "\n"


def _number(value: Decimal | int) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _name(text: str) -> str:
    return text if len(text) <= NAME_WIDTH else text[: NAME_WIDTH - 1] + "…"


def _table(
    headers: Sequence[str], rows: Sequence[tuple[str, Sequence[str]]], notes: Sequence[str] = ()
) -> list[str]:
    """Candidates down, stages across, right-aligned figures; notes under the table."""
    width = max([len(h) for h in headers] + [len(v) for _, row in rows for v in row] + [6])
    head = " " * NAME_WIDTH + " | " + " | ".join(h.rjust(width) for h in headers)
    out = [head, "-" * len(head)]
    for label, row in rows:
        out.append(_name(label).ljust(NAME_WIDTH) + " | " + " | ".join(v.rjust(width) for v in row))
    return [*out, "", *notes]


def _scottish(result: ScottishStvResult) -> list[str]:
    stages = result.stages
    rows = [
        (name, [_number(stage.votes[c]) for stage in stages])
        for c, name in enumerate(result.candidates)
    ]
    rows.append(("Non-transferable", [_number(s.non_transferable_total) for s in stages]))
    notes = [f"Valid ballots: {result.valid_ballots}   Quota: {result.quota}"]
    for stage in stages:
        notes.append(f"Stage {stage.number}: {_stage_action(result, stage)}")
    return _table([f"Stage {s.number}" for s in stages], rows, notes)


def _stage_action(result: ScottishStvResult, stage: Any) -> str:
    names = result.candidates
    what = str(stage.action)
    if stage.subject is not None:
        what += f" of {names[stage.subject]}"
    if stage.elected:
        what += "; elected: " + ", ".join(names[c] for c in stage.elected)
    if stage.tie is not None:
        what += f" (tie broken: {stage.tie.method})"
    return what


def _meek(result: MeekStvResult) -> list[str]:
    rounds = result.rounds
    rows = [
        (name, [_number(r.votes[c]) for r in rounds]) for c, name in enumerate(result.candidates)
    ]
    rows.append(("Non-transferable", [_number(r.non_transferable) for r in rounds]))
    rows.append(("Quota", [_number(r.quota) for r in rounds]))
    notes = [f"Valid ballots: {result.valid_ballots}"]
    notes.extend(f"Round {r.number}: {r.reason}" for r in rounds)
    return _table([f"Round {r.number}" for r in rounds], rows, notes)


def _irv(result: IrvResult) -> list[str]:
    rounds = result.rounds
    rows = [(name, [str(r.votes[c]) for r in rounds]) for c, name in enumerate(result.candidates)]
    rows.append(("Exhausted", [str(r.exhausted) for r in rounds]))
    names = result.candidates
    notes = [f"Valid ballots: {result.valid_ballots}"]
    for r in rounds:
        who = r.winner if r.winner is not None else r.excluded
        notes.append(
            f"Round {r.number}: {r.outcome}" + (f": {names[who]}" if who is not None else "")
        )
    return _table([f"Round {r.number}" for r in rounds], rows, notes)


def _schulze(result: SchulzeResult) -> list[str]:
    names = result.candidates
    headers = [str(i + 1) for i in range(len(names))]
    rows = [
        (f"{i + 1}. {name}", ["-" if i == j else str(v) for j, v in enumerate(result.pairwise[i])])
        for i, name in enumerate(names)
    ]
    notes = [
        "Pairwise preferences: the row's candidate over the column's.",
        f"Valid ballots: {result.valid_ballots}   Blank: {result.blank_ballots}",
        "Ranking: " + " > ".join(" = ".join(names[c] for c in tier) for tier in result.ranking),
        "Order after tie-breaking: " + ", ".join(names[c] for c in result.order),
    ]
    return _table(headers, rows, notes)


def _marks(result: MarksResult) -> list[str]:
    rows = [(name, [str(result.votes[c])]) for c, name in enumerate(result.candidates)]
    notes = [
        f"Valid ballots: {result.valid_ballots}   Blank: {result.blank_ballots}"
        f"   Void: {result.void_ballots}",
        "Order: " + ", ".join(result.candidates[c] for c in result.order),
    ]
    notes.extend(f"Tie drawn by lot ({d.purpose})" for d in result.draws)
    return _table(["Votes"], rows, notes)


_TABLES: dict[type, Callable[[Any], list[str]]] = {
    ScottishStvResult: _scottish,
    MeekStvResult: _meek,
    IrvResult: _irv,
    SchulzeResult: _schulze,
    MarksResult: _marks,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asamblea count",
        description="Recount a BLT ballot file: the winners and the count, stage by stage.",
    )
    parser.add_argument("file", help="the BLT file to count")
    parser.add_argument("--method", choices=METHODS, default="stv-scottish")
    parser.add_argument("--seed", default="", help="the seed of the published count's lots")
    parser.add_argument("--json", action="store_true", help="print the full trace as JSON")
    return parser


def main(argv: Sequence[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Run the command; returns the exit status (0 counted, 2 refused)."""
    args = _parser().parse_args(list(argv))  # exits 2 with a usage line on bad options
    try:
        election = read_blt(Path(args.file))
        result = recount(election, args.method, args.seed)
    except (BltError, BallotError, RecountError, ValueError) as exc:
        err.write(f"asamblea count: {args.file}: {exc}\n")
        return 2
    except OSError as exc:
        err.write(f"asamblea count: {args.file}: {exc.strerror or exc}\n")
        return 2
    if args.json:
        out.write(json.dumps(as_json(result, election.seats), ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(report(result, election))
    return 0
