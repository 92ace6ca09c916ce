"""Amendments as changes to a text: replace a paragraph (or a range), insert after one,
delete one (or a range); applying and reverting them, their conflicts, and consolidation.

A :class:`Change` is what an amendment asks, in paragraph ids of the version it was written
against. :func:`compile_change` turns it into a :class:`Splice`, which snapshots the paragraphs
it removes (ids *and* text): applying a splice to a later text checks that those paragraphs are
still there, contiguous and unchanged, so an amendment written against text that changed since
is refused instead of silently rewriting something its authors never read.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from asamblea.documents.core.paragraphs import Paragraph, Text, split_paragraphs

# An insertion at the very beginning of the text is an insertion "after" this anchor.
START = ""


class Op(enum.StrEnum):
    REPLACE = "replace"
    INSERT_AFTER = "insert_after"
    DELETE = "delete"


class ChangeError(ValueError):
    """A change that cannot be made; ``code`` says why (for a translated message)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


@dataclass(frozen=True)
class Change:
    """Replace or delete paragraphs ``start`` … ``end`` (inclusive, in text order), or insert
    after ``start`` (``START`` for the beginning). ``markdown`` is the new text (one or more
    paragraphs); ``key`` makes the ids of new paragraphs (``<key>-1``, ``<key>-2``, …) and must be
    unique in the document (an amendment's key)."""

    op: Op
    start: str
    end: str = ""
    markdown: str = ""
    key: str = ""


@dataclass(frozen=True)
class Splice:
    """A change resolved against a text: ``removed`` (contiguous, with the text they had) are
    replaced by ``inserted``; with nothing removed, ``inserted`` goes after ``anchor``."""

    removed: tuple[Paragraph, ...]
    inserted: tuple[Paragraph, ...]
    anchor: str = START

    @property
    def insertion_only(self) -> bool:
        return not self.removed

    def to_json(self) -> dict[str, object]:
        return {
            "removed": [[p.pid, p.text] for p in self.removed],
            "inserted": [[p.pid, p.text] for p in self.inserted],
            "anchor": self.anchor,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Splice:
        def paragraphs(rows: object) -> tuple[Paragraph, ...]:
            return tuple(Paragraph(str(pid), str(text)) for pid, text in rows)  # type: ignore[attr-defined]

        return cls(
            removed=paragraphs(data["removed"]),
            inserted=paragraphs(data["inserted"]),
            anchor=str(data.get("anchor", START)),
        )


def _index(text: Text) -> dict[str, int]:
    return {p.pid: i for i, p in enumerate(text)}


def _range(text: Text, start: str, end: str) -> tuple[Paragraph, ...]:
    where = _index(text)
    if start not in where or (end or start) not in where:
        raise ChangeError("unknown_paragraph", f"{start}..{end}")
    first, last = where[start], where[end or start]
    if last < first:
        raise ChangeError("range_order", f"{start}..{end}")
    return text[first : last + 1]


def compile_change(text: Text, change: Change) -> Splice:
    """The splice that makes ``change`` on ``text``; raises :class:`ChangeError` for an unknown
    (stale) paragraph id, a range given backwards, new text missing (replace, insert) or given
    (delete), or a key whose ids are already taken."""
    parts = split_paragraphs(change.markdown)
    if change.op == Op.DELETE:
        if parts:
            raise ChangeError("text_with_delete")
        return Splice(removed=_range(text, change.start, change.end), inserted=())
    if not parts:
        raise ChangeError("empty_text")
    if not change.key:
        raise ChangeError("no_key")
    fresh = [f"{change.key}-{i}" for i in range(1, len(parts) + 1)]
    if set(fresh) & set(_index(text)):
        raise ChangeError("id_taken", change.key)
    if change.op == Op.INSERT_AFTER:
        if change.start != START and change.start not in _index(text):
            raise ChangeError("unknown_paragraph", change.start)
        inserted = tuple(Paragraph(pid, part) for pid, part in zip(fresh, parts, strict=True))
        return Splice(removed=(), inserted=inserted, anchor=change.start)
    if change.op != Op.REPLACE:
        raise ChangeError("unknown_op", str(change.op))
    removed = _range(text, change.start, change.end)
    # Replacing paragraphs keeps their ids, in order; extra new paragraphs get fresh ids.
    ids = [p.pid for p in removed][: len(parts)] + fresh[: max(0, len(parts) - len(removed))]
    return Splice(removed=removed, inserted=tuple(map(Paragraph, ids, parts)))


def apply_splice(text: Text, splice: Splice) -> tuple[Text, Splice]:
    """``text`` with ``splice`` made, and the splice that undoes it. Raises
    :class:`ChangeError` when the removed paragraphs are gone (``unknown_paragraph``), no longer
    contiguous (``not_contiguous``) or were changed (``changed``), when the anchor is gone, or
    when an inserted id is already in the text (``id_taken``)."""
    where = _index(text)
    kept_ids = set(where) - {p.pid for p in splice.removed}
    if any(p.pid in kept_ids for p in splice.inserted):
        raise ChangeError("id_taken")
    if splice.removed:
        if any(p.pid not in where for p in splice.removed):
            raise ChangeError("unknown_paragraph")
        first = where[splice.removed[0].pid]
        current = text[first : first + len(splice.removed)]
        if tuple(p.pid for p in current) != tuple(p.pid for p in splice.removed):
            raise ChangeError("not_contiguous")
        if current != splice.removed:
            raise ChangeError("changed")
        before = text[first - 1].pid if first > 0 else START
        new = text[:first] + splice.inserted + text[first + len(splice.removed) :]
        return new, Splice(removed=splice.inserted, inserted=splice.removed, anchor=before)
    if splice.anchor == START:
        at = 0
    elif splice.anchor in where:
        at = where[splice.anchor] + 1
    else:
        raise ChangeError("unknown_paragraph", splice.anchor)
    new = text[:at] + splice.inserted + text[at:]
    return new, Splice(removed=splice.inserted, inserted=(), anchor=splice.anchor)


def apply(text: Text, change: Change) -> tuple[Text, Splice]:
    """Compile ``change`` against ``text`` and make it; returns the new text and the undo."""
    return apply_splice(text, compile_change(text, change))


def revert(text: Text, undo: Splice) -> Text:
    """Undo a change with the splice :func:`apply` returned."""
    return apply_splice(text, undo)[0]


def conflicts(a: Splice, b: Splice) -> bool:
    """Whether two changes, resolved against the same text, touch the same text: they remove
    (replace or delete) a paragraph in common, insert at the same place, or one inserts after a
    paragraph the other replaces or deletes. Changes that do not conflict give the same text
    whichever is made first."""
    removed_a = {p.pid for p in a.removed}
    removed_b = {p.pid for p in b.removed}
    if removed_a & removed_b:
        return True
    if a.insertion_only and b.insertion_only:
        return a.anchor == b.anchor
    if a.insertion_only:
        return a.anchor in removed_b
    if b.insertion_only:
        return b.anchor in removed_a
    return False


def conflict_groups(splices: Sequence[tuple[int, Splice]]) -> dict[int, list[int]]:
    """For each key, the keys of the changes it conflicts with (only keys with a conflict).
    Quadratic only within a paragraph: changes are bucketed by the ids they touch."""
    buckets: dict[str, list[int]] = {}
    by_key = dict(splices)
    for key, splice in splices:
        touched = {p.pid for p in splice.removed} or {"^" + splice.anchor}
        if splice.insertion_only:
            touched.add(splice.anchor)
        for pid in touched:
            buckets.setdefault(pid, []).append(key)
    found: dict[int, set[int]] = {}
    for keys in buckets.values():
        for i, x in enumerate(keys):
            for y in keys[i + 1 :]:
                if x != y and conflicts(by_key[x], by_key[y]):
                    found.setdefault(x, set()).add(y)
                    found.setdefault(y, set()).add(x)
    return {key: sorted(others) for key, others in found.items()}


@dataclass(frozen=True)
class Consolidated:
    text: Text
    applied: tuple[int, ...]
    refused: tuple[tuple[int, str], ...]


def consolidate(text: Text, changes: Iterable[tuple[int, Splice]]) -> Consolidated:
    """Make the changes in the order given; one that can no longer be made (its paragraphs are
    gone or changed by an earlier one) is left out, with the reason's code."""
    applied: list[int] = []
    refused: list[tuple[int, str]] = []
    for key, splice in changes:
        try:
            text, _undo = apply_splice(text, splice)
        except ChangeError as exc:
            refused.append((key, exc.code))
        else:
            applied.append(key)
    return Consolidated(text=text, applied=tuple(applied), refused=tuple(refused))
