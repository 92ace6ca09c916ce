"""Login names: one spelling per person, and no look-alikes (pure Python, no Django).

A login name is stored and compared in its normal form: Unicode NFKC, then case folding
(``Kusi``, ``ｋｕｓｉ`` and ``kuſi`` are the same name, ``kusi``). Two different names may still
look the same (``kusi`` and ``kusı`` with a dotless i, ``bob`` and ``b0b``); a new name whose
Unicode TR39 *skeleton* equals an existing one's is refused, so nobody can register a look-alike of
someone's name, and rate limits count per skeleton so look-alike spellings share one budget.

The skeleton follows UTS #39 section 4 (NFD, map every character through the confusables
table, NFD again), with case folding applied before and after so that ``0``→``O`` and ``o``
meet. The table is ``data/confusables.txt`` (Unicode 13.0.0, provenance in its header).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 3
MAX_LENGTH = 40
# Punctuation allowed besides letters and digits: what the old ASCII rule allowed.
PUNCTUATION = "._-"
_DATA = Path(__file__).resolve().parent / "data" / "confusables.txt"


class InvalidName(ValueError):
    """A login name that cannot be used; ``code`` says why (``length`` or ``characters``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def normalise(name: str) -> str:
    """The one spelling a login name is stored, looked up and counted under."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name.strip()).casefold())


def _allowed(char: str, previous: str) -> bool:
    if char.isalnum() or char in PUNCTUATION:
        return True
    # A combining mark may follow a letter (scripts whose vowels are marks), never stand alone.
    return unicodedata.category(char) in {"Mn", "Mc"} and previous.isalpha()


def validate(name: str) -> str:
    """The normal form of a new login name, or :class:`InvalidName`: 3 to 40 letters, digits,
    dots, dashes or underscores after normalising (no spaces, no invisible characters)."""
    normal = normalise(name)
    if not MIN_LENGTH <= len(normal) <= MAX_LENGTH:
        raise InvalidName("length")
    previous = ""
    for char in normal:
        if not _allowed(char, previous):
            raise InvalidName("characters")
        previous = char
    return normal


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    for line in _DATA.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        source, target = line.split(";")
        key = "".join(chr(int(cp, 16)) for cp in source.split())
        table[key] = "".join(chr(int(cp, 16)) for cp in target.split())
    return table


def _map(text: str) -> str:
    table = _table()
    return unicodedata.normalize("NFD", "".join(table.get(c, c) for c in text))


def skeleton(name: str) -> str:
    """A string equal for two names that look alike (UTS #39 skeleton, case-folded).

    Repeated until it stops changing (at most a few rounds): folding case can reveal a
    character the table maps (``0``→``O``→``o``)."""
    current = unicodedata.normalize("NFD", normalise(name))
    for _round in range(4):
        following = _map(current).casefold()
        following = unicodedata.normalize("NFD", following)
        if following == current:
            break
        current = following
    return current
