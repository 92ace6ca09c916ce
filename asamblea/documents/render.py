"""HTML of the long parts of the document pages (a synopsis row, a paragraph with its
amendments inline), built in Python: with 400 amendments the template engine alone took over a
second, this takes a few milliseconds. Every piece of text is escaped here; labels are
translated once per page, not once per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from asamblea.documents.models import Amendment, Document

DiffParts = Iterable[Sequence[str]]


def diff_html(parts: DiffParts) -> str:
    """Stored word-diff parts as HTML: deletions in ``<del>``, insertions in ``<ins>``."""
    out = []
    for op, chunk in parts:
        tag = {"-": "del", "+": "ins"}.get(op)
        out.append(f"<{tag}>{escape(chunk)}</{tag}>" if tag else str(escape(chunk)))
    return "".join(out)


class Labels:
    """The page's translated words, looked up once."""

    def __init__(self) -> None:
        self.ops = {k: str(v) for k, v in Amendment.Op.choices}
        self.kinds = {k: str(v) for k, v in Amendment.Kind.choices}
        self.states = {k: str(v) for k, v in Amendment.State.choices}
        self.conflicts = escape(_("conflicts with"))
        self.outdated = escape(_("written against an earlier text"))
        self.in_block = escape(_("in a block"))
        self.member_assembly = escape(_("a member assembly"))

    def amendment(self, number: int) -> str:
        return escape(_("Amendment %(n)s") % {"n": number})

    @cache  # noqa: B019 -- one Labels per page: the cache lives as long as the page
    def members(self, n: int) -> str:
        return escape(ngettext("%(n)s member", "%(n)s members", n) % {"n": n})

    @cache  # noqa: B019
    def backed(self, n: int) -> str:
        return escape(ngettext("backed by %(n)s body", "backed by %(n)s bodies", n) % {"n": n})

    def in_block_box(self, n: int) -> str:
        return escape(_("Amendment %(n)s in the block") % {"n": n})


def _base(document: Document) -> str:
    return reverse("documents:detail", args=[document.body.slug, document.number])


def _conflicts(labels: Labels, numbers: list[int]) -> str:
    if not numbers:
        return ""
    links = ", ".join(f'<a href="#a{c}">{c}</a>' for c in numbers)
    return f" · <strong>{labels.conflicts} {links}</strong>"


def _backing(labels: Labels, row: object) -> str:
    backers = row.backers  # type: ignore[attr-defined]
    if not backers:
        return "—"
    names = ", ".join(str(escape(b.name)) if b.name else labels.member_assembly for b in backers)
    return f"{names} ({labels.members(row.members)})"  # type: ignore[attr-defined]


def synopsis_rows(document: Document, rows: Sequence[object], commission: bool) -> SafeString:
    labels = Labels()
    base = _base(document)
    out = []
    for row in rows:
        a: Amendment = row.amendment  # type: ignore[attr-defined]
        box = ""
        if commission:
            if a.state == Amendment.State.SUPPORTED and not a.block_id:
                box = (
                    f'<td><input type="checkbox" name="numbers" value="{a.number}" '
                    f'aria-label="{labels.in_block_box(a.number)}"></td>'
                )
            else:
                box = "<td></td>"
        kind = f" · {escape(labels.kinds[a.kind])}" if a.kind != Amendment.Kind.ORDINARY else ""
        block = f" · {labels.in_block}" if a.block_id else ""
        out.append(
            f'<tr id="a{a.number}">{box}<td>{escape(a.where)}</td>'
            f'<td><a href="{base}a/{a.number}/">{a.number}</a> {escape(labels.ops[a.op])}{kind}'
            f"{_conflicts(labels, row.conflicts)}</td>"  # type: ignore[attr-defined]
            f"<td>{_backing(labels, row)}</td>"
            f'<td><span class="badge {a.state}">{escape(labels.states[a.state])}</span>'
            f"{block}</td></tr>"
        )
    return mark_safe("\n".join(out))  # noqa: S308 -- every piece of text is escaped above


def _inline(labels: Labels, base: str, row: object) -> str:
    a: Amendment = row.amendment  # type: ignore[attr-defined]
    conflicts = row.conflicts  # type: ignore[attr-defined]
    backers = row.backers  # type: ignore[attr-defined]
    extra = f" · {labels.backed(len(backers))}" if backers else ""
    extra += _conflicts(labels, conflicts)
    if row.outdated:  # type: ignore[attr-defined]
        extra += f" · <strong>{labels.outdated}</strong>"
    css = "amend-inline conflict" if conflicts else "amend-inline"
    return (
        f'<div class="{css}" id="a{a.number}"><p class="meta">'
        f'<a href="{base}a/{a.number}/">{labels.amendment(a.number)}</a> · '
        f"{escape(labels.ops[a.op])} {escape(a.where)} · "
        f'<span class="badge {a.state}">{escape(labels.states[a.state])}</span>{extra}</p>'
        f'<div class="diff">{diff_html(a.diff)}</div></div>'
    )


def inline_paragraphs(document: Document, paragraphs: Sequence[object]) -> SafeString:
    labels = Labels()
    base = _base(document)
    at_start = escape(_("At the beginning"))
    out = []
    for para in paragraphs:
        index = para.index  # type: ignore[attr-defined]
        pid = para.pid or "start"  # type: ignore[attr-defined]
        if index:
            lines = "".join(
                f'<li><span class="ln">{n}</span>{escape(line)}</li>'
                for n, line in para.lines  # type: ignore[attr-defined]
            )
            head = f'<span class="pnum">§{index}</span><ol class="doc-lines">{lines}</ol>'
        else:
            head = f'<span class="pnum">§0</span><span class="meta">{at_start}</span>'
        rows = list(para.amendments) + list(para.inserted_after)  # type: ignore[attr-defined]
        inline = "".join(_inline(labels, base, row) for row in rows)
        out.append(f'<div class="doc-para" id="{escape(pid)}">{head}{inline}</div>')
    return mark_safe("\n".join(out))  # noqa: S308 -- every piece of text is escaped above
