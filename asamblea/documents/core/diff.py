"""Word-level differences between two versions of a paragraph, for the inline view."""

from __future__ import annotations

import difflib
import re

_TOKENS = re.compile(r"\s+|[^\s]+")

# (op, text): op is "=" (kept), "-" (deleted) or "+" (inserted).
DiffPart = tuple[str, str]


def _tokens(text: str) -> list[str]:
    return _TOKENS.findall(text)


def word_diff(old: str, new: str) -> list[DiffPart]:
    """The parts of ``old`` kept, deleted and inserted to make ``new``, word by word (white
    space is a token of its own, so joining the "=" and "-" parts gives ``old`` back and the
    "=" and "+" parts give ``new``). Adjacent parts of the same kind are joined."""
    a, b = _tokens(old), _tokens(new)
    parts: list[DiffPart] = []

    def add(op: str, tokens: list[str]) -> None:
        if not tokens:
            return
        chunk = "".join(tokens)
        if parts and parts[-1][0] == op:
            parts[-1] = (op, parts[-1][1] + chunk)
        else:
            parts.append((op, chunk))

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("=", a[i1:i2])
        else:
            add("-", a[i1:i2])
            add("+", b[j1:j2])
    return parts
