"""How the voting app's ledger entries read (asamblea.ledger.sentences)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from asamblea.ledger.sentences import Reader, first_of, for_body, labels, references, sentences
from asamblea.voting.models import Poll


def _polls(ids: set[Any], reader: Reader) -> dict[Any, str]:
    return for_body(Poll, ids, reader)


def _poll_opened(values: Mapping[str, str], payload: Mapping[str, Any]) -> str:
    electorate = payload.get("electorate")
    opened = _g("The vote “%(title)s” opened (%(secrecy)s).") % values
    if isinstance(electorate, int):
        opened += " " + ngettext("%(n)s person may vote.", "%(n)s people may vote.", electorate) % {
            "n": electorate
        }
    if payload.get("called_by_member"):
        opened += " " + _g(
            "A member called it: nobody had opened it 72 hours after the motion reached its "
            "supporters."
        )
    return opened


def _poll_closed(values: Mapping[str, str], payload: Mapping[str, Any]) -> str:
    result = payload.get("result")
    adopted = isinstance(result, dict) and result.get("adopted")
    closed = first_of(
        _("%(by)s closed the vote %(poll)s."),
        _("The vote %(poll)s closed."),
        _("A vote closed."),
    )(values, payload)
    if not isinstance(result, dict) or "adopted" not in result:
        return closed
    return closed + " " + (_g("Adopted.") if adopted else _g("Not adopted."))


references(("poll",), _polls)
labels(
    "secrecy",
    {
        "named": _("named vote"),
        "secret": _("secret ballot"),
        "verifiable": _("verifiable secret ballot"),
    },
)
sentences(
    {
        "poll.opened": _poll_opened,
        "poll.closed": _poll_closed,
        "poll.hand_count_recorded": _(
            "%(by)s recorded a show of hands in %(poll)s: yes %(yes)s, no %(no)s, "
            "abstaining %(abstain)s."
        ),
        "poll.hand_count_attested": _("%(by)s confirmed the show of hands in %(poll)s."),
        "agenda.adopted": _("The agenda of the meeting was adopted by vote."),
    }
)
