"""The pure core of documents drafted together (no Django): paragraphs with stable ids, line
numbers, word diffs, amendments as changes to a text, their conflicts, and consolidation.

A text is a tuple of :class:`Paragraph` (an id and its Markdown). Ids are stable: a paragraph
keeps its id across versions while it exists, replaced paragraphs keep the ids of those they
replace, and new paragraphs get ids made from the amendment's key, so ids are never reused.
"""

from asamblea.documents.core.changes import (
    Change,
    ChangeError,
    Op,
    Splice,
    apply,
    apply_splice,
    compile_change,
    conflict_groups,
    conflicts,
    consolidate,
    revert,
)
from asamblea.documents.core.diff import word_diff
from asamblea.documents.core.paragraphs import (
    Paragraph,
    Text,
    initial_text,
    number_lines,
    split_paragraphs,
    text_hash,
    to_markdown,
)

__all__ = [
    "Change",
    "ChangeError",
    "Op",
    "Paragraph",
    "Splice",
    "Text",
    "apply",
    "apply_splice",
    "compile_change",
    "conflict_groups",
    "conflicts",
    "consolidate",
    "initial_text",
    "number_lines",
    "revert",
    "split_paragraphs",
    "text_hash",
    "to_markdown",
    "word_diff",
]
