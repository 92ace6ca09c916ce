"""Turn a count's trace (JSON data from the counting core) into the tables a result page shows.

Pure Python. Every method's trace has its own shape; this module reduces each to one
:class:`ResultTable`: columns (rounds or stages), one row per candidate with the votes at the
end of each column and the change from the column before, the quota, other lines (votes not
transferable, ballots exhausted), and what each column did and why. The figures are the
trace's own exact decimal strings: nothing is rounded for display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass
class Row:
    name: str
    cells: list[str]
    changes: list[str]
    series: list[float]
    status: str = ""  # "elected", "excluded" or ""
    status_at: int | None = None  # the column (1-based) where it happened


@dataclass
class Event:
    """What one column did: ``action`` is a code the page translates; ``reason`` the rules'."""

    column: int
    action: str
    subject: str
    reason: str
    tie: str = ""


@dataclass
class ResultTable:
    kind: str  # "rounds", "totals", "pairwise" or "consent"
    columns: list[str]
    rows: list[Row]
    quota: list[str] = field(default_factory=list)
    extra: list[tuple[str, list[str]]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (label code, value)
    matrix: list[list[str]] = field(default_factory=list)
    ranking: list[list[str]] = field(default_factory=list)
    proposals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def quota_series(self) -> list[float]:
        return [float(Decimal(q)) for q in self.quota]


def result_table(method: str, trace: dict[str, Any], names: list[str]) -> ResultTable:
    """The table for ``trace`` of a count by ``method``; ``names`` are the ballot's names."""
    if method == "scottish_stv":
        return _scottish(trace, names)
    if method == "meek_stv":
        return _meek(trace, names)
    if method == "irv":
        return _irv(trace, names)
    if method in ("plurality", "approval", "score"):
        return _totals(method, trace, names)
    if method == "schulze":
        return _schulze(trace, names)
    return _consent(trace)


def _changes(cells: list[str]) -> list[str]:
    """The change of each cell from the one before ("" for the first column and no change)."""
    out = [""]
    for before, now in zip(cells, cells[1:], strict=False):
        delta = Decimal(now) - Decimal(before)
        out.append("" if not delta else (f"+{delta}" if delta > 0 else str(delta)))
    return out


def _rows(names: list[str], columns: list[list[str]]) -> list[Row]:
    rows = []
    for c, name in enumerate(names):
        cells = [str(col[c]) for col in columns]
        rows.append(Row(name, cells, _changes(cells), [float(Decimal(x)) for x in cells]))
    return rows


def _mark(rows: list[Row], candidate: int, status: str, column: int) -> None:
    rows[candidate].status = status
    rows[candidate].status_at = column


def _tie(tie: dict[str, Any] | None, names: list[str]) -> str:
    if not tie:
        return ""
    tied = ", ".join(names[c] for c in tie["tied"])
    return f"{tied} → {names[tie['chosen']]} ({tie['method']})"


def _scottish(trace: dict[str, Any], names: list[str]) -> ResultTable:
    stages = trace["stages"]
    rows = _rows(names, [stage["votes"] for stage in stages])
    table = ResultTable("rounds", [str(s["number"]) for s in stages], rows)
    table.quota = [str(trace["quota"])] * len(stages)
    table.extra.append(("non_transferable", [s["non_transferable_total"] for s in stages]))
    for elected in trace["elected"]:
        _mark(rows, elected["candidate"], "elected", elected["stage"])
    for stage in stages:
        subject = names[stage["subject"]] if stage["subject"] is not None else ""
        action = {"first preferences": "first", "transfer of surplus": "surplus"}.get(
            stage["action"], "exclusion"
        )
        if action == "exclusion" and stage["subject"] is not None:
            _mark(rows, stage["subject"], "excluded", stage["number"])
        table.events.append(
            Event(stage["number"], action, subject, stage["reason"], _tie(stage["tie"], names))
        )
    for elected in trace["elected"]:
        table.events.append(
            Event(elected["stage"], "elected", names[elected["candidate"]], elected["because"])
        )
    table.events.sort(key=lambda e: (e.column, e.action == "elected"))
    _common_notes(table, trace)
    return table


def _meek(trace: dict[str, Any], names: list[str]) -> ResultTable:
    rounds = trace["rounds"]
    rows = _rows(names, [r["votes"] for r in rounds])
    table = ResultTable("rounds", [str(r["number"]) for r in rounds], rows)
    table.quota = [r["quota"] for r in rounds]
    table.extra.append(("non_transferable", [r["non_transferable"] for r in rounds]))
    table.extra.append(("iterations", [str(r["iterations"]) for r in rounds]))
    for r in rounds:
        table.events.append(Event(r["number"], "round", "", r["ended"], ""))
        if r["excluded"] is not None:
            _mark(rows, r["excluded"], "excluded", r["number"])
            table.events.append(
                Event(r["number"], "exclusion", names[r["excluded"]], "", _tie(r["tie"], names))
            )
    for elected in trace["elected"]:
        _mark(rows, elected["candidate"], "elected", elected["round"])
        table.events.append(
            Event(elected["round"], "elected", names[elected["candidate"]], elected["because"])
        )
    table.events.sort(key=lambda e: e.column)
    _common_notes(table, trace)
    return table


def _irv(trace: dict[str, Any], names: list[str]) -> ResultTable:
    rounds = trace["rounds"]
    rows = _rows(names, [[str(v) for v in r["votes"]] for r in rounds])
    table = ResultTable("rounds", [str(r["number"]) for r in rounds], rows)
    table.extra.append(("exhausted", [str(r["exhausted"]) for r in rounds]))
    table.extra.append(("continuing", [str(r["continuing_total"]) for r in rounds]))
    for r in rounds:
        if r["excluded"] is not None:
            _mark(rows, r["excluded"], "excluded", r["number"])
            table.events.append(
                Event(
                    r["number"],
                    "exclusion",
                    names[r["excluded"]],
                    r["outcome"],
                    _tie(r["tie"], names),
                )
            )
        if r["winner"] is not None:
            _mark(rows, r["winner"], "elected", r["number"])
            table.events.append(Event(r["number"], "elected", names[r["winner"]], r["outcome"]))
    _common_notes(table, trace)
    return table


def _totals(method: str, trace: dict[str, Any], names: list[str]) -> ResultTable:
    values = trace["totals"] if method == "score" else trace["votes"]
    every = _rows(names, [[str(v) for v in values]])
    for candidate in trace["elected"]:
        every[candidate].status = "elected"
    rows = [every[c] for c in trace["order"]]
    table = ResultTable("totals", ["1"], rows)
    for draw in trace["draws"]:
        table.events.append(
            Event(1, "draw", " → ".join(names[c] for c in draw["order"]), draw["purpose"])
        )
    _common_notes(table, trace)
    for key in ("blank_ballots", "void_ballots"):
        if key in trace:
            table.notes.append((key, str(trace[key])))
    return table


def _schulze(trace: dict[str, Any], names: list[str]) -> ResultTable:
    order = trace["order"]
    rows = [Row(names[c], [], [], []) for c in order]
    for row, candidate in zip(rows, order, strict=True):
        if candidate in trace["winners"]:
            row.status = "elected"
    table = ResultTable("pairwise", [], rows)
    table.matrix = [[str(v) for v in row] for row in trace["pairwise"]]
    table.ranking = [[names[c] for c in tier] for tier in trace["ranking"]]
    for draw in trace["draws"]:
        table.events.append(
            Event(1, "draw", " → ".join(names[c] for c in draw["order"]), draw["purpose"])
        )
    _common_notes(table, trace)
    table.notes.append(("blank_ballots", str(trace["blank_ballots"])))
    return table


def _consent(trace: dict[str, Any]) -> ResultTable:
    table = ResultTable("consent", [], [])
    table.proposals = list(trace["proposals"])
    return table


def _common_notes(table: ResultTable, trace: dict[str, Any]) -> None:
    table.notes.append(("valid_ballots", str(trace["valid_ballots"])))
    if trace.get("invalid_ballots"):
        table.notes.append(("invalid_ballots", str(trace["invalid_ballots"])))
