"""The adopted (or current) text as a printable PDF: A4, or A5 to fold as a leaflet; numbered
paragraphs, a QR code to the text's page, and the fingerprint the ledger recorded.

Built as the meetings' minutes are (:mod:`asamblea.meetings.minutes_pdf`): fpdf2's core fonts,
no font files, text mapped to Latin-1 (Spanish accents and ñ print as they are).
"""

from __future__ import annotations

import segno
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fpdf import FPDF

from asamblea.dates import safe_localtime
from asamblea.documents.models import Document, DocumentVersion
from asamblea.meetings.minutes_pdf import latin1

SIZES = {"a4": ((210, 297), 18, 10.5), "a5": ((148, 210), 12, 9.0)}


class _Page(FPDF):
    def __init__(self, size: str, title: str) -> None:
        (width, height), margin, self.body_size = SIZES[size]
        super().__init__(orientation="P", unit="mm", format=(width, height))
        self.set_margins(margin, margin, margin)
        self.set_auto_page_break(True, margin=margin + 2)
        self.footer_title = latin1(title)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("Helvetica", size=7)
        self.cell(0, 5, f"{self.footer_title} - {self.page_no()}", align="C")


def _qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    """Draw the QR code of ``url`` as filled squares (sharp at any print size)."""
    code = segno.make(url, error="m")
    matrix = [list(row) for row in code.matrix]
    cell = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(x + c * cell, y + r * cell, cell, cell, style="F")


def render(document: Document, version: DocumentVersion, url: str, *, size: str = "a4") -> bytes:
    pdf = _Page(size, document.title)
    pdf.add_page()
    qr_size = 28 if size == "a4" else 22
    _qr(pdf, url, pdf.w - pdf.r_margin - qr_size, pdf.t_margin, qr_size)
    pdf.set_right_margin(pdf.r_margin + qr_size + 4)
    pdf.set_font("Helvetica", "B", 16 if size == "a4" else 13)
    pdf.multi_cell(0, 7, latin1(document.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=8)
    if document.state == Document.State.ADOPTED and document.adopted_at:
        status = _("Adopted by %(body)s on %(date)s (version %(v)s)") % {
            "body": document.body.name,
            "date": date_format(safe_localtime(document.adopted_at), "SHORT_DATE_FORMAT"),
            "v": version.number,
        }
    else:
        status = _("%(body)s - text as amended so far (version %(v)s), not yet adopted") % {
            "body": document.body.name,
            "v": version.number,
        }
    pdf.multi_cell(0, 4, latin1(status), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 4, latin1(url), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), pdf.t_margin + qr_size + 2))
    pdf.set_right_margin(SIZES[size][1])
    pdf.ln(3)
    number_width = 9
    for index, paragraph in enumerate(version.text, 1):
        pdf.set_font("Helvetica", "B", pdf.body_size)
        y = pdf.get_y()
        pdf.cell(number_width, pdf.body_size * 0.5, f"{index}.")
        pdf.set_xy(pdf.l_margin + number_width, y)
        pdf.set_font("Helvetica", size=pdf.body_size)
        pdf.multi_cell(
            0, pdf.body_size * 0.5, latin1(_plain(paragraph.text)), new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(1.5)
    pdf.ln(2)
    pdf.set_font("Helvetica", size=7)
    pdf.multi_cell(
        0, 3.5, latin1(_("Fingerprint (SHA-256) in the ledger:")), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Courier", size=7)
    pdf.multi_cell(0, 3.5, version.hash, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _plain(markdown: str) -> str:
    """Markdown emphasis marks dropped for print; the words stay."""
    return markdown.replace("**", "").replace("__", "")
