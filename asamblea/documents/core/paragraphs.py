"""Paragraphs, their stable ids, line numbers and the text's fingerprint."""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from dataclasses import dataclass

# OpenSlides numbers lines of 80 characters by default; people say "paragraph 4, line 3".
LINE_WIDTH = 80
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")


@dataclass(frozen=True)
class Paragraph:
    pid: str
    text: str


Text = tuple[Paragraph, ...]


def split_paragraphs(markdown: str) -> list[str]:
    """Markdown split into paragraphs at blank lines; each trimmed, empty ones dropped."""
    normalised = markdown.replace("\r\n", "\n").replace("\r", "\n")
    return [part.strip() for part in _BLANK_LINES.split(normalised) if part.strip()]


def initial_text(markdown: str) -> Text:
    """The first version of a document: paragraphs ``p1`` … ``pN``."""
    return tuple(Paragraph(f"p{i}", part) for i, part in enumerate(split_paragraphs(markdown), 1))


def to_markdown(text: Text) -> str:
    return "\n\n".join(p.text for p in text)


def wrap(paragraph: str, width: int = LINE_WIDTH) -> list[str]:
    """A paragraph's lines as printed: its own line breaks kept, long lines wrapped at
    ``width`` characters on spaces (a word longer than that is cut)."""
    lines: list[str] = []
    for raw in paragraph.split("\n"):
        lines.extend(textwrap.wrap(raw, width, break_on_hyphens=False) or [""])
    return lines


def number_lines(
    text: Text, width: int = LINE_WIDTH
) -> list[tuple[int, Paragraph, list[tuple[int, str]]]]:
    """Each paragraph with its number (from 1) and its lines, numbered through the document."""
    numbered = []
    line = 1
    for index, paragraph in enumerate(text, 1):
        lines = []
        for content in wrap(paragraph.text, width):
            lines.append((line, content))
            line += 1
        numbered.append((index, paragraph, lines))
    return numbered


def text_hash(title: str, text: Text) -> str:
    """SHA-256 of the canonical JSON of a title and its paragraphs (ids included): the
    fingerprint written to the ledger when a text is adopted."""
    canonical = json.dumps(
        {"title": title, "paragraphs": [[p.pid, p.text] for p in text]},
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
