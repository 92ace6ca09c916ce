"""Minutes as a PDF fit to print as a leaflet: A5 pages (two to an A4 sheet, folded), large
enough type to read, built with fpdf2's core fonts so no font files are needed.

The core fonts cover Latin-1, which holds Spanish (á é í ó ú ü ñ ¿ ¡) and most of the Latin
letters Quechua and Aymara are written in; typographic punctuation is mapped to its plain form
and anything else becomes "?" rather than breaking the download.
"""

from __future__ import annotations

from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fpdf import FPDF

from asamblea.dates import safe_localtime
from asamblea.ledger.chain import Head

_PLAIN = str.maketrans(
    {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "•": "-", "€": "EUR"}
)


def latin1(text: Any) -> str:
    plain = str(text or "").translate(_PLAIN)
    return plain.encode("latin-1", "replace").decode("latin-1")


def when(value: str | None) -> str:
    parsed = parse_datetime(value) if value else None
    return date_format(safe_localtime(parsed), "SHORT_DATETIME_FORMAT") if parsed else "-"


def minutes_of(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


A5 = (148, 210)
A4 = (210, 297)


class Leaflet(FPDF):
    """A printable page in black on white, with the title and page number at the foot. A5 by
    default; the publishing app prints A4 leaflets too."""

    def __init__(self, title: str, size: tuple[int, int] = A5) -> None:
        super().__init__(orientation="P", unit="mm", format=size)
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, margin=14)
        self.footer_title = latin1(title)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("Helvetica", size=7)
        self.cell(0, 5, f"{self.footer_title} - {self.page_no()}", align="C")


def heading(pdf: FPDF, text: str, size: int = 12) -> None:
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", size)
    pdf.multi_cell(0, size * 0.5, latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)


def para(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, 4.5, latin1(text), new_x="LMARGIN", new_y="NEXT")


def _result_line(result: dict[str, Any]) -> str:
    if result.get("valid") is False:
        outcome = _("Closed without a valid count: nothing adopted")
    else:
        outcome = _("Adopted") if result.get("adopted") else _("Rejected")
    line = _("%(outcome)s: yes %(yes)s, no %(no)s, abstain %(abstain)s; electorate %(e)s") % {
        "outcome": outcome,
        "yes": result.get("yes"),
        "no": result.get("no"),
        "abstain": result.get("abstain"),
        "e": result.get("electorate"),
    }
    hands = result.get("hand_count")
    if hands:
        line += (
            " " + _("(includes a hand count: yes %(yes)s, no %(no)s, abstain %(abstain)s)") % hands
        )
    if not result.get("quorum_met") and result.get("valid") is not False:
        line += " - " + _("quorum not met")
    return line


def render(record: dict[str, Any], notes: str, ledger: Head | None = None) -> bytes:
    """The minutes as a PDF; ``ledger`` is the body's ledger head when printed, written at the
    end so that a printed copy can later show a rewritten or cut ledger."""
    pdf = Leaflet(record.get("title", ""))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(
        0,
        7,
        latin1(_("Minutes: %(title)s") % {"title": record.get("title", "")}),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", size=9)
    para(pdf, record.get("body", ""))
    para(
        pdf,
        _("From %(start)s to %(end)s")
        % {"start": when(record.get("opened")), "end": when(record.get("closed"))},
    )
    if record.get("place"):
        para(pdf, _("Place: %(place)s") % {"place": record["place"]})
    if record.get("agenda_adopted"):
        para(pdf, _("Agenda adopted at %(at)s") % {"at": when(record["agenda_adopted"])})
    people = record.get("attendance", [])
    count = record.get("attendance_count", len(people))
    heading(pdf, _("Attendance (%(n)s)") % {"n": count})
    if record.get("names_shown", True):
        para(pdf, ", ".join(p["name"] for p in people) or "-")
    else:
        para(pdf, _("Who attended and who spoke is shown to the assembly's members only."))
    for number, item in enumerate(record.get("items", []), start=1):
        heading(pdf, f"{number}. {item['title']}")
        if item.get("description"):
            para(pdf, item["description"])
        for motion in item.get("motions", []):
            pdf.set_font("Helvetica", "B", 9)
            para(pdf, f"#{motion['number']} {motion['title']} ({motion['state']})")
            pdf.set_font("Helvetica", size=9)
            para(pdf, motion.get("text", ""))
            for amendment in motion.get("amendments", []):
                para(
                    pdf,
                    "  "
                    + _("Amendment")
                    + f" #{amendment['number']} {amendment['title']} ({amendment['state']})",
                )
        for speakers_list in item.get("lists", []):
            if speakers_list.get("speeches"):
                label = _("Speakers")
                if speakers_list.get("motion"):
                    label += f" (#{speakers_list['motion']})"
                pdf.set_font("Helvetica", "I", 9)
                para(pdf, label)
                pdf.set_font("Helvetica", size=9)
                for speech in speakers_list["speeches"]:
                    kind = {
                        "point_of_order": _("point of order"),
                        "direct_reply": _("direct reply"),
                    }.get(speech["kind"], "")
                    suffix = f" [{kind}]" if kind else ""
                    name = speech.get("name") or _("A speaker")
                    para(pdf, f"- {name}{suffix}: {minutes_of(speech['seconds'])}")
    votes = record.get("votes", [])
    if votes:
        heading(pdf, _("Votes"))
        for vote in votes:
            pdf.set_font("Helvetica", "B", 9)
            para(pdf, vote["title"])
            pdf.set_font("Helvetica", size=9)
            if vote.get("result"):
                para(pdf, _result_line(vote["result"]))
            else:
                para(
                    pdf,
                    _(
                        "Still being counted when the meeting closed: its result is on the "
                        "vote's page and in the ledger."
                    ),
                )
    totals = record.get("totals", {})
    if totals.get("people") or totals.get("groups"):
        heading(pdf, _("Speaking time"))
        for row in totals.get("people", []):
            para(pdf, f"{row['name']}: {row['speeches']} - {minutes_of(row['seconds'])}")
        for row in totals.get("groups", []):
            name = row["name"] or _("No group declared")
            para(pdf, f"{name}: {row['speeches']} - {minutes_of(row['seconds'])}")
    if notes.strip():
        heading(pdf, _("Secretary's notes"))
        para(pdf, notes)
    if ledger is not None:
        heading(pdf, _("Ledger head"))
        para(
            pdf,
            _("When printed, the ledger of %(chain)s had %(length)s entries; last fingerprint:")
            % {"chain": ledger.chain, "length": ledger.length},
        )
        pdf.set_font("Courier", size=8)
        para(pdf, ledger.hash)
    return bytes(pdf.output())
