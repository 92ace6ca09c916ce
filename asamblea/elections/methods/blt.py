"""Read and write the BLT ballot format, how STV ballot data is exchanged.

The format (as used by the Electoral Reform Society's counting programs, OpenSTV, Droop and
the Scottish data sets)::

    4 2                  number of candidates, number of seats
    -2                   optional: withdrawn candidates, as negative numbers
    12 1 3 2 0           a weight (how many identical ballots), preferences, a 0 terminator
    7 3=4 1 0            "=" joins candidates ranked equally; "-" marks a skipped rank
    0                    end of ballots
    "Ana"                one name per candidate, in candidate order
    "Bo" ...
    "Ward 9"             the title

Candidates are numbered from 1 in the file and from 0 in the counting core.

The reader accepts what real files do (all seen in the 1,100 Scottish ward files): names and
title quoted (with ``""`` for a quote inside) or bare; a quoted name followed by a quoted
description on its line; names given only as ``# ALTERNATIVE NAME k:`` comments; a missing
final newline; CRLF line ends; a UTF-8 byte-order mark; blank lines; files exported from
spreadsheets, where every cell ends in a comma (``786 1 0,``, ``Wilma,LUMSDEN``). It also
takes a ballot line without its ``0`` terminator and an optional ballot id in parentheses
at the start of a ballot line. Anything else raises ``BltError`` naming the line.

The reader never trusts a file's own figures: the header's number of candidates is checked
against the lines the file has (each candidate needs a name line) before anything is sized by
it, numbers are read only from ASCII digits and at most :data:`MAX_DIGITS` of them (``"²"``
passes ``str.isdigit()``; a 5,000-digit weight would hit Python's integer-parsing limit), and
bytes that are not UTF-8 are refused by line. Time and memory stay proportional to the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .ballots import RankedBallot, RankedGroup
from .results import Serialisable


class BltError(ValueError):
    """A BLT text that cannot be read; the message names the line."""


@dataclass(frozen=True)
class BltElection(Serialisable):
    """An election as a BLT file describes it (candidates numbered from 0)."""

    candidates: tuple[str, ...]
    seats: int
    ballots: tuple[RankedGroup, ...]
    withdrawn: frozenset[int] = frozenset()
    title: str = ""


_QUOTED = re.compile(r'"((?:[^"]|"")*)"')
_BALLOT_ID = re.compile(r"^\([^)]*\)\s*")
_ALTERNATIVE = re.compile(r"#\s*ALTERNATIVE NAME\s+([0-9]{1,9})\s*:(.*)$", re.IGNORECASE)
_WITHDRAWN = re.compile(r"-[0-9]+")

#: The most digits a number in a BLT file may have: a weight of 10**15 ballots is beyond any
#: electorate, and the limit keeps every ``int()`` cheap.
MAX_DIGITS = 15


class _Line(NamedTuple):
    number: int
    text: str


def parse_blt(text: str) -> BltElection:
    """Parse BLT text into an election; raise ``BltError`` naming the offending line."""
    lines = _lines(text)
    spreadsheet = any(line.text.rstrip().endswith(",") for line in lines[:2])
    header = _next_line(lines, "the header line")
    num_candidates, seats = _header(header, spreadsheet, len(lines))
    withdrawn = _withdrawn(lines, num_candidates, spreadsheet)
    groups = list(_ballot_lines(lines, num_candidates, spreadsheet))
    names = _names(lines, spreadsheet)
    if len(names) < num_candidates:
        raise BltError(f"the file names {len(names)} candidates, the header says {num_candidates}")
    if len(names) > num_candidates + 1:
        raise BltError(f"{len(names) - num_candidates - 1} unexpected lines after the title")
    title = names[num_candidates] if len(names) > num_candidates else ""
    merged: dict[RankedBallot, int] = {}
    for ballot, count in groups:  # already checked line by line; only merge here
        if count:
            merged[ballot] = merged.get(ballot, 0) + count
    return BltElection(
        tuple(names[:num_candidates]), seats, tuple(merged.items()), withdrawn, title
    )


def read_blt(path: str | Path) -> BltElection:
    """Read a BLT file (UTF-8, with or without a byte-order mark).

    Raises ``BltError`` naming the line for bytes that are not UTF-8, as for any other fault.
    """
    return parse_blt(decode_blt(Path(path).read_bytes()))


def decode_blt(data: bytes) -> str:
    """The text of a BLT file's bytes; ``BltError`` names the first line that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BltError(f"line {line}: the file is not UTF-8 text (byte {exc.start + 1})") from None


def _lines(text: str) -> list[_Line]:
    text = text.removeprefix("\ufeff")
    numbered = [_Line(i, line.strip()) for i, line in enumerate(text.splitlines(), start=1)]
    numbered.reverse()  # so that taking the next line is a cheap pop()
    return numbered


def _next_line(lines: list[_Line], what: str) -> _Line:
    while lines:
        line = lines.pop()
        if line.text and line.text.strip(",").strip():
            return line
    raise BltError(f"the file ends before {what}")


def _numbers(line: _Line, spreadsheet: bool) -> list[str]:
    text = line.text.replace(",", " ") if spreadsheet else line.text
    return text.split()


def _whole(text: str) -> int | None:
    """``text`` as a whole number if it is 1 to MAX_DIGITS ASCII digits, else ``None``."""
    if len(text) > MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def _header(line: _Line, spreadsheet: bool, lines_left: int) -> tuple[int, int]:
    """The header's figures, checked against the file before anything is sized by them."""
    fields = _numbers(line, spreadsheet)
    numbers = [_whole(field) for field in fields]
    if len(fields) != 2 or None in numbers:
        raise BltError(f"line {line.number}: expected 'candidates seats', got {line.text[:80]!r}")
    num_candidates, seats = (n or 0 for n in numbers)
    if num_candidates < 1 or seats < 1:
        raise BltError(f"line {line.number}: need at least one candidate and one seat")
    if num_candidates > lines_left:
        raise BltError(
            f"line {line.number}: the header declares {num_candidates} candidates, "
            f"but the file has only {lines_left} more lines to name them"
        )
    if seats > num_candidates:
        raise BltError(f"line {line.number}: {seats} seats for {num_candidates} candidates")
    return num_candidates, seats


def _withdrawn(lines: list[_Line], num_candidates: int, spreadsheet: bool) -> frozenset[int]:
    line = _next_line(lines, "the ballots")
    fields = _numbers(line, spreadsheet)
    if not fields or not fields[0].startswith("-"):
        lines.append(line)
        return frozenset()
    if not all(_WITHDRAWN.fullmatch(field) for field in fields):
        # "-5 1 2 0" is a ballot line with a negative weight, not a withdrawn line.
        if len(fields) > 1 and not fields[1].startswith("-"):
            raise BltError(f"line {line.number}: a ballot weight cannot be negative: {fields[0]!r}")
        bad = next(field for field in fields if not _WITHDRAWN.fullmatch(field))
        raise BltError(f"line {line.number}: bad withdrawn candidate {bad[:20]!r}")
    return frozenset(_candidate(line, field[1:], num_candidates) for field in fields)


def _ballot_lines(
    lines: list[_Line], num_candidates: int, spreadsheet: bool
) -> Iterator[RankedGroup]:
    # The hot loop of reading a file: the common line ("12 3 1 2 0") takes the fast path.
    singles = {str(c + 1): frozenset((c,)) for c in range(num_candidates)}
    while True:
        line = _next_line(lines, "the 0 line that ends the ballots")
        text = _BALLOT_ID.sub("", line.text) if line.text.startswith("(") else line.text
        fields = text.replace(",", " ").split() if spreadsheet else text.split()
        if fields == ["0"]:
            return
        weight, *preferences = fields
        if weight.startswith('"'):
            raise BltError(f"line {line.number}: names begin before the 0 that ends the ballots")
        if preferences and preferences[-1] == "0":
            preferences.pop()
        try:
            ranks = tuple([singles[field] for field in preferences])
        except KeyError:
            ranks = _ranks(line, preferences, num_candidates)
        count = _whole(weight)
        if count is None:
            if weight.startswith("-"):
                raise BltError(f"line {line.number}: a ballot weight cannot be negative")
            raise BltError(
                f"line {line.number}: a ballot weight must be whole, of at most "
                f"{MAX_DIGITS} digits: {weight[:20]!r}"
            )
        if len(set(ranks)) != len(ranks):
            raise BltError(f"line {line.number}: a candidate is ranked twice: {line.text[:80]!r}")
        yield ranks, count


def _ranks(line: _Line, preferences: list[str], num_candidates: int) -> tuple[frozenset[int], ...]:
    """Preferences with equal ranks ("2=3") or skipped ranks ("-"), checked field by field."""
    ranks: list[frozenset[int]] = []
    seen: set[int] = set()
    for field in preferences:
        if field == "-":
            continue
        rank = frozenset(_candidate(line, member, num_candidates) for member in field.split("="))
        if rank & seen:
            raise BltError(f"line {line.number}: a candidate is ranked twice: {line.text[:80]!r}")
        seen |= rank
        ranks.append(rank)
    return tuple(ranks)


def _candidate(line: _Line, field: str, num_candidates: int) -> int:
    number = _whole(field)
    if number is None or not 1 <= number <= num_candidates:
        raise BltError(f"line {line.number}: no candidate {field[:20]!r} among 1..{num_candidates}")
    return number - 1


def _names(lines: list[_Line], spreadsheet: bool) -> list[str]:
    """Read the candidate names and the title, one per line.

    Some files (Glasgow 2007) give the names only as ``# ALTERNATIVE NAME k: ...`` comments
    followed by the title; those names are used when the name lines are missing.
    """
    names: list[str] = []
    alternatives: dict[int, str] = {}
    while lines:
        line = lines.pop()
        if line.text.startswith("#"):
            match = _ALTERNATIVE.match(line.text)
            if match:
                alternatives[int(match.group(1))] = match.group(2).strip()
        elif line.text:
            names.append(_name_on_line(line, spreadsheet))
    if alternatives and len(names) <= 1:
        ordered = [alternatives[k] for k in sorted(alternatives)]
        if sorted(alternatives) != list(range(1, len(alternatives) + 1)):
            raise BltError(f"the alternative names are not numbered 1..{len(alternatives)}")
        names = ordered + names
    return names


def _name_on_line(line: _Line, spreadsheet: bool) -> str:
    """A name (or the title) from its line.

    A line with several quoted strings holds a name and its description, as in
    ``"George HALL" "Scottish Conservative and Unionist"``; they are read as
    ``George HALL (Scottish Conservative and Unionist)``. Some files quote such a line once
    more, as a single CSV field (its quotes doubled); such a line is unwrapped first.
    """
    text = line.text
    if not text.startswith('"'):
        if spreadsheet:
            return " ".join(cell.strip() for cell in text.split(",") if cell.strip())
        return text
    parts = _quoted_parts(line, text)
    if len(parts) == 1 and parts[0].startswith('"'):
        inner = parts[0].strip()
        if not _QUOTED.sub("", inner).strip():
            parts = _quoted_parts(line, inner)
    first, *description = (part.strip() for part in parts)
    return f"{first} ({', '.join(description)})" if description else first


def _quoted_parts(line: _Line, text: str) -> list[str]:
    quoted = [_unquote(match.group(1)) for match in _QUOTED.finditer(text)]
    leftover = _QUOTED.sub("", text).replace(",", "").strip()
    if not quoted or leftover:
        raise BltError(f"line {line.number}: cannot read the quoted name {text[:80]!r}")
    return quoted


def _unquote(body: str) -> str:
    return body.replace('""', '"')


def write_blt(election: BltElection) -> str:
    """The BLT text of ``election``: quoted names, ``=`` for equal ranks, a final newline.

    Raises ``BltError`` for a name or title spanning lines, which BLT cannot hold.
    """
    for text in (*election.candidates, election.title):
        if text.splitlines() not in ([], [text]):
            raise BltError(f"a BLT name or title must fit on one line: {text!r}")
    out = [f"{len(election.candidates)} {election.seats}"]
    if election.withdrawn:
        out.append(" ".join(f"-{c + 1}" for c in sorted(election.withdrawn)))
    for ballot, count in election.ballots:
        out.append(" ".join([str(count), *_ranks_text(ballot), "0"]))
    out.append("0")
    out.extend(_quote(name) for name in election.candidates)
    out.append(_quote(election.title))
    return "\n".join(out) + "\n"


def write_blt_file(election: BltElection, path: str | Path) -> None:
    """Write ``election`` to ``path`` as UTF-8 BLT."""
    Path(path).write_text(write_blt(election), encoding="utf-8")


def _ranks_text(ballot: RankedBallot) -> list[str]:
    return ["=".join(str(c + 1) for c in sorted(rank)) for rank in ballot]


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
