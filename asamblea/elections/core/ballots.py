"""Election ballots: reading them from a form, checking them, and storing them canonically.

Pure Python (no Django), so the same code reads a ballot in the application and in a recount.

Candidates are numbered by their position on the ballot, ``0 .. n-1``. A ballot's content is
stored as canonical JSON (sorted keys, no spaces), one shape per kind of method:

- ranked (IRV, STV, Schulze): ``{"ranks": [[2], [0, 3], [1]]}``, best first; a rank holding
  several candidates ranks them equally (only where the method allows it); unranked
  candidates are left out;
- plurality and approval: ``{"marks": [0, 3]}``;
- score: ``{"scores": [5, 0, 3]}``, one whole number per candidate;
- consent: ``{"stances": [["consent", ""], ["object", "reason"]]}``, one stance per proposal
  (``consent``, ``stand aside`` or ``object``) with its reason; an objection needs one.

Form errors are raised as :class:`InvalidBallot` with a code and parameters; the application
turns the code into a translated sentence.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

RANKED = frozenset({"irv", "meek_stv", "scottish_stv", "schulze"})
#: Methods whose rules read equal rankings (the STV rules and IRV cannot: a paper with two
#: candidates marked equally has no single next preference there).
EQUAL_RANKS_ALLOWED = frozenset({"schulze"})
MAX_CANDIDATES = 100
MAX_REASON = 500
MAX_CONTENT = 20_000


@dataclass(frozen=True)
class InvalidBallot(ValueError):
    """A ballot that cannot be accepted; ``code`` names the problem for the message."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code} {self.params}"


Form = Mapping[str, Sequence[str]]


def canonical(content: Mapping[str, Any]) -> str:
    """The canonical JSON text of a ballot's content (same content, same text)."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def read_form(method: str, num_candidates: int, seats: int, max_score: int, form: Form) -> str:
    """Read a ballot from submitted form fields and return its canonical JSON.

    ``form`` maps field names to their submitted values (a field may be sent several times).
    Fields: ranked ``rank_<i>`` = "" or "1".."n"; plurality/approval ``mark`` = "<i>" (one or
    several); score ``score_<i>`` = "0".."max"; consent ``stance_<i>`` = "consent", "stand aside"
    or "object", with ``reason_<i>``. Raises :class:`InvalidBallot`.
    """
    if not 1 <= num_candidates <= MAX_CANDIDATES:
        raise InvalidBallot("no_candidates")
    if method in RANKED:
        return canonical({"ranks": _read_ranks(method, num_candidates, form)})
    if method in ("plurality", "approval"):
        return canonical({"marks": _read_marks(method, num_candidates, seats, form)})
    if method == "score":
        return canonical({"scores": _read_scores(num_candidates, max_score, form)})
    if method == "consent":
        return canonical({"stances": _read_stances(num_candidates, form)})
    raise InvalidBallot("unknown_method", {"method": method})


def _single(form: Form, name: str) -> str:
    values = form.get(name, ())
    if len(values) > 1:
        raise InvalidBallot("repeated_field", {"field": name})
    return values[0].strip() if values else ""


def _check_fields(form: Form, prefixes: tuple[str, ...], num_candidates: int) -> None:
    """Refuse a field naming a candidate that is not on the ballot (``rank_7`` of 5)."""
    for name in form:
        for prefix in prefixes:
            if name.startswith(prefix):
                suffix = name[len(prefix) :]
                if not _ascii_digits(suffix) or int(suffix) >= num_candidates:
                    raise InvalidBallot("unknown_candidate", {"candidate": suffix[:20]})


def _ascii_digits(text: str) -> bool:
    # str.isdigit() also accepts "²" and "٣", which int() refuses or reads: only 0-9 count here.
    return text.isascii() and text.isdigit()


def _whole(text: str, low: int, high: int, code: str) -> int:
    if not _ascii_digits(text) or len(text) > 4 or not low <= int(text) <= high:
        raise InvalidBallot(code, {"value": text[:20], "low": low, "high": high})
    return int(text)


def _read_ranks(method: str, n: int, form: Form) -> list[list[int]]:
    _check_fields(form, ("rank_",), n)
    by_rank: dict[int, list[int]] = {}
    for candidate in range(n):
        text = _single(form, f"rank_{candidate}")
        if text:
            rank = _whole(text, 1, n, "bad_rank")
            by_rank.setdefault(rank, []).append(candidate)
    if not by_rank:
        raise InvalidBallot("empty_ranking")
    shared = sorted(rank for rank, members in by_rank.items() if len(members) > 1)
    if shared and method not in EQUAL_RANKS_ALLOWED:
        raise InvalidBallot("equal_ranks", {"rank": shared[0]})
    used = sorted(by_rank)
    expected = list(range(1, len(used) + 1))
    if used != expected:
        missing = next(e for r, e in zip(used, expected, strict=True) if r != e)
        raise InvalidBallot("rank_gap", {"rank": missing})
    return [sorted(by_rank[rank]) for rank in used]


def _read_marks(method: str, n: int, seats: int, form: Form) -> list[int]:
    values = form.get("mark", ())
    if len(values) > n:
        raise InvalidBallot("too_many_marks", {"most": n})
    marks = {_whole(v.strip(), 0, n - 1, "unknown_candidate") for v in values}
    if len(marks) != len(values):
        raise InvalidBallot("repeated_mark")
    if not marks:
        raise InvalidBallot("no_marks")
    if method == "plurality" and len(marks) > seats:
        raise InvalidBallot("too_many_marks", {"most": seats})
    return sorted(marks)


def _read_scores(n: int, max_score: int, form: Form) -> list[int]:
    _check_fields(form, ("score_",), n)
    scores = []
    for candidate in range(n):
        text = _single(form, f"score_{candidate}")
        if not text:
            raise InvalidBallot("missing_score", {"candidate": candidate})
        scores.append(_whole(text, 0, max_score, "bad_score"))
    return scores


STANCES = ("consent", "stand aside", "object")


def _read_stances(n: int, form: Form) -> list[list[str]]:
    _check_fields(form, ("stance_", "reason_"), n)
    stances: list[list[str]] = []
    for candidate in range(n):
        stance = _single(form, f"stance_{candidate}") or "consent"
        reason = " ".join(_single(form, f"reason_{candidate}").split())
        if stance not in STANCES:
            raise InvalidBallot("bad_stance")
        if len(reason) > MAX_REASON:
            raise InvalidBallot("reason_too_long", {"most": MAX_REASON})
        if stance == "object" and not reason:
            raise InvalidBallot("reason_required", {"candidate": candidate})
        stances.append([stance, reason])
    return stances


def parse(method: str, num_candidates: int, text: str) -> dict[str, Any]:
    """Read stored canonical JSON back, checking it as strictly as a form (for recounts).

    Raises :class:`InvalidBallot` if the text is not a ballot of this method.
    """
    if len(text) > MAX_CONTENT:
        raise InvalidBallot("oversized")
    try:
        content = json.loads(text)
    except ValueError as error:
        raise InvalidBallot("not_json") from error
    if not isinstance(content, dict) or len(content) != 1:
        raise InvalidBallot("bad_shape")
    if canonical(content) != text:
        raise InvalidBallot("not_canonical")
    key = _content_key(method)
    value = content.get(key)
    if not isinstance(value, list):
        raise InvalidBallot("bad_shape")
    _check_value(key, value, num_candidates)
    return content


def _content_key(method: str) -> str:
    if method in RANKED:
        return "ranks"
    if method in ("plurality", "approval"):
        return "marks"
    if method == "score":
        return "scores"
    if method == "consent":
        return "stances"
    raise InvalidBallot("unknown_method", {"method": method})


def _is_candidate(value: object, n: int) -> bool:
    return type(value) is int and 0 <= value < n


def _check_value(key: str, value: list[Any], n: int) -> None:
    if key == "ranks":
        flat = [c for rank in value if isinstance(rank, list) for c in rank]
        shapes_ok = all(isinstance(rank, list) and rank for rank in value)
        if (
            not shapes_ok
            or not all(_is_candidate(c, n) for c in flat)
            or len(set(flat)) != len(flat)
        ):
            raise InvalidBallot("bad_shape")
    elif key == "marks":
        if not all(_is_candidate(c, n) for c in value) or len(set(value)) != len(value):
            raise InvalidBallot("bad_shape")
    elif key == "scores":
        if len(value) != n or not all(type(s) is int and s >= 0 for s in value):
            raise InvalidBallot("bad_shape")
    elif len(value) != n or not all(
        isinstance(s, list) and len(s) == 2 and s[0] in STANCES and isinstance(s[1], str)
        for s in value
    ):
        raise InvalidBallot("bad_shape")
