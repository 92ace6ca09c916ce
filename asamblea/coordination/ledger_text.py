"""How the coordination app's ledger entries read (asamblea.ledger.sentences)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext as _n

from asamblea.coordination.models import ConsultedBody, Mandate
from asamblea.ledger.sentences import first_of, labels, sentences


def _outcome(adopted_text: Any, rejected_text: Any) -> Any:
    def sentence(values: Mapping[str, str], payload: Mapping[str, Any]) -> str:
        template = adopted_text if payload.get("adopted") else rejected_text
        return str(template) % values

    return sentence


def _position(values: Mapping[str, str], payload: Mapping[str, Any]) -> str:
    if "position" not in values:  # still being decided by a vote
        return _g("%(body)s is deciding its mandate on motion no. %(motion)s.") % values
    text = _g("%(body)s set its mandate on motion no. %(motion)s: %(position)s.") % values
    if payload.get("binding"):
        text += " " + _g("The mandate is binding.")
    return text


labels("position", {str(value): label for value, label in Mandate.POSITIONS})
labels("mandate", {str(value): label for value, label in Mandate.POSITIONS})
labels("choice", {"yes": _("yes"), "no": _("no"), "abstain": _("abstain")})
labels("means", {str(value): label for value, label in ConsultedBody.Means.choices})
labels("direction", {"join": _("join"), "leave": _("leave")})


def _anchored(values: Mapping[str, str], payload: Mapping[str, Any]) -> str:
    heads = payload.get("heads") or []
    return _n(
        "The fingerprint of %(n)s affiliated body's ledger was recorded here.",
        "The fingerprints of %(n)s affiliated bodies' ledgers were recorded here.",
        len(heads),
    ) % {"n": len(heads)}


sentences(
    {
        "affiliation.proposed": _("A proposal to %(direction)s %(coordination)s was put."),
        "affiliation.assembly_decided": _outcome(
            _("%(body)s decided to %(direction)s %(coordination)s."),
            _("%(body)s decided not to %(direction)s %(coordination)s."),
        ),
        "affiliation.accepted": _("%(coordination)s accepted the request of %(body)s."),
        "affiliation.refused": _("%(coordination)s refused the request of %(body)s."),
        "delegate.election_opened": _(
            "An election of delegates of %(body)s to %(coordination)s opened."
        ),
        "delegate.elected": _("Delegates of %(body)s to %(coordination)s were elected."),
        "delegate.election_cancelled": _(
            "The election of delegates of %(body)s to %(coordination)s closed with nobody "
            "elected: its verifiable election was cancelled."
        ),
        "delegate.recall_opened": _(
            "A vote to recall %(delegate)s as delegate to %(coordination)s opened."
        ),
        "delegate.recalled": _("%(delegate)s was recalled as delegate to %(coordination)s."),
        "mandate.set": _position,
        "mandate.vote_opened": _("%(body)s opened a vote on its mandate on motion no. %(motion)s."),
        "coordination.vote_opened": _("The delegates' vote on motion no. %(motion)s opened."),
        "coordination.delegate_voted": first_of(
            _("%(delegate)s voted %(choice)s for %(body)s."),
            _("%(delegate)s voted for %(body)s."),
        ),
        "coordination.vote_closed": _("The delegates' vote closed."),
        "coordination.delegate_diverged": first_of(
            _(
                "%(delegate)s departed from the binding mandate (%(mandate)s) on motion "
                "no. %(motion)s of %(coordination)s and voted %(choice)s."
            ),
            _(
                "%(delegate)s departed from the binding mandate (%(mandate)s) on motion "
                "no. %(motion)s of %(coordination)s."
            ),
        ),
        "coordination.decided": _outcome(
            _("%(coordination)s adopted motion no. %(motion)s."),
            _("%(coordination)s did not adopt motion no. %(motion)s."),
        ),
        "consultation.opened": _(
            "Motion no. %(motion)s was put to the member assemblies in a consultation."
        ),
        "consultation.online_vote_opened": _("An online vote for the consultation opened."),
        "consultation.meeting_vote_opened": _("A vote for the consultation opened in a meeting."),
        "consultation.assembly_decided": _(
            "The assembly answered the consultation (%(means)s): yes %(yes)s, no %(no)s, "
            "abstaining %(abstain)s."
        ),
        "consultation.result_not_counted": _(
            "The assembly's vote for the consultation was not counted (see the details)."
        ),
        "consultation.closed": _("The consultation closed."),
        "consultation.result": _(
            "The trustees decrypted the assemblies' encrypted tallies: the consultation is counted."
        ),
        "solidarity.sent": _(
            "Motion no. %(motion)s was sent to a sister body as a proposal for solidarity."
        ),
        "solidarity.received": _("A sister body sent a proposal for solidarity."),
        "solidarity.answered": _("A proposal for solidarity was answered."),
        "ledger.anchor": _anchored,
    }
)
