"""Leaflets: a statement or a resolution as a PDF fit for a cheap photocopier.

Black on white only: text, rules and the QR code's dark modules; no background fill, no grey,
no colour. The page is A5 (two to an A4 sheet) or A4. Built on the minutes' leaflet
(:mod:`asamblea.meetings.minutes_pdf`): the same core fonts, which cover Spanish, and the
same fallback for characters they lack. The QR code leads back to the leaflet's page, where
the text can be checked against the body's ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import segno
from django.utils.translation import gettext as _
from fpdf.drawing import DeviceGray
from fpdf.html import DEFAULT_TAG_STYLES

from asamblea.ledger.chain import Head
from asamblea.meetings.minutes_pdf import A4, A5, Leaflet, heading, latin1, para

SIZES = {"a5": A5, "a4": A4}
QR_MM = {"a5": 30, "a4": 40}


@dataclass(frozen=True)
class Content:
    """What a leaflet says, already in the reader's language."""

    kind: str  # "Statement", "Resolution"
    title: str
    body: str
    date: str
    url: str
    html: str = ""  # sanitised HTML of a statement's text
    lines: Sequence[str] = field(default_factory=tuple)
    endorsed_by: Sequence[str] = field(default_factory=tuple)
    ledger: Head | None = None


# fpdf2 prints links in blue and headings and quotes in dark red: all black here.
_BLACK_STYLES = {
    tag: style.replace(color=DeviceGray(0)) for tag, style in DEFAULT_TAG_STYLES.items()
}


def _qr(pdf: Leaflet, url: str, x: float, y: float, side: float) -> None:
    """The QR code of ``url`` drawn as black squares (no image, no background)."""
    code = segno.make(url, error="m")
    matrix = code.matrix
    module = side / len(matrix)
    pdf.set_fill_color(0)
    for row_number, row in enumerate(matrix):
        for col_number, dark in enumerate(row):
            if dark:
                pdf.rect(x + col_number * module, y + row_number * module, module, module, "F")


def render(content: Content, size: str = "a5", *, compress: bool = True) -> bytes:
    """The leaflet as PDF bytes. ``size``: "a5" or "a4" (anything else is refused by the view)."""
    pdf = Leaflet(content.title, SIZES[size])
    pdf.set_compression(compress)
    pdf.set_text_color(0)
    pdf.set_draw_color(0)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 9)
    para(pdf, f"{content.body} - {content.kind}")
    pdf.set_font("Helvetica", "B", 18 if size == "a4" else 15)
    pdf.multi_cell(0, 8, latin1(content.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    para(pdf, content.date)
    pdf.ln(2)
    pdf.set_font("Helvetica", size=12 if size == "a4" else 11)
    if content.html:
        pdf.write_html(
            latin1(content.html),
            tag_styles=_BLACK_STYLES,
            li_prefix_color=(0, 0, 0),
            font_family="helvetica",
        )
    for line in content.lines:
        para(pdf, line)
    if content.endorsed_by:
        heading(pdf, _("Endorsed by"), 11)
        para(pdf, ", ".join(content.endorsed_by))
    side = QR_MM[size]
    if pdf.get_y() + side + 16 > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.ln(4)
    top = pdf.get_y()
    _qr(pdf, content.url, pdf.l_margin, top, side)
    pdf.set_xy(pdf.l_margin + side + 4, top)
    pdf.set_font("Helvetica", size=8)
    pdf.multi_cell(
        0,
        4,
        latin1(_("Read it, and check it against the ledger, at:") + "\n" + content.url),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if content.ledger is not None:
        pdf.set_x(pdf.l_margin + side + 4)
        pdf.multi_cell(
            0,
            4,
            latin1(
                _("When printed, the ledger of %(chain)s had %(length)s entries; last fingerprint:")
                % {"chain": content.ledger.chain, "length": content.ledger.length}
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_x(pdf.l_margin + side + 4)
        pdf.set_font("Courier", size=6)
        pdf.multi_cell(0, 3, content.ledger.hash, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
