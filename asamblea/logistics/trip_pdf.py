"""A delegation's trip sheet as a PDF, on the same A5 leaflet as the meetings' minutes (the
helpers of :mod:`asamblea.meetings.minutes_pdf`: core fonts, Latin-1, page footer)."""

from __future__ import annotations

from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from asamblea.meetings.minutes_pdf import Leaflet, heading, para


def _day(value: Any) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def render(context: dict[str, Any]) -> bytes:
    """The sheet of ``context["trip"]`` with its travellers and matched offers (the context of
    the trip page, seen only by the assembly's facilitators)."""
    trip = context["trip"]
    pdf = Leaflet(trip.title)
    pdf.add_page()
    heading(pdf, _("Trip: %(title)s") % {"title": trip.title}, size=15)
    para(pdf, trip.body.name)
    para(
        pdf,
        _("From %(origin)s to %(destination)s, %(start)s to %(end)s")
        % {
            "origin": trip.origin,
            "destination": trip.destination,
            "start": _day(trip.starts_on),
            "end": _day(trip.ends_on),
        },
    )
    para(pdf, _("Seats needed: %(n)s") % {"n": trip.seats})
    heading(pdf, _("Who travels"))
    para(pdf, "\n".join(context["travellers"]) or "-")
    heading(pdf, _("Where to sleep"))
    para(pdf, trip.lodging or "-")
    heading(pdf, _("Matched offers"))
    if not context["matches"]:
        para(pdf, _("None yet."))
    for match, visible in context["matches"]:
        need = match.need
        para(
            pdf,
            f"{need.get_kind_display()}: {match.quantity} {need.unit} - {match.offer.body.name}"
            f" ({match.get_state_display()})",
        )
        if visible:
            for detail in match.details.all():
                para(pdf, "  " + detail.text)
    return bytes(pdf.output())
