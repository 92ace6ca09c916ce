"""Settling what an assembly's own polls decide (joining, electing, recalling, mandates,
forwarding, consultations), inside the poll's closing transaction.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.coordination.actions.affiliations import assembly_decided
from asamblea.coordination.actions.consultations import settle_consulted
from asamblea.coordination.actions.delegates import recall_delegate, settle_election
from asamblea.coordination.actions.forwarding import settle_forward_vote
from asamblea.coordination.actions.mandates import settle_mandate
from asamblea.coordination.models import (
    AffiliationRequest,
    Candidacy,
    ConsultedBody,
    ForwardVote,
    Mandate,
    Recall,
)
from asamblea.errors import Conflict, NotAllowed
from asamblea.voting.models import Eligibility, Poll


def on_poll_closing(sender: Any, poll: Poll, by: Person | None = None, **kwargs: Any) -> None:
    """Receiver of :data:`asamblea.voting.signals.poll_closing`: a recall vote is never closed
    by hand before its closing time (unless every elector has voted), and never by the
    delegate it concerns; so neither the delegate nor a lone facilitator can cut it short."""
    if by is None:
        return
    recall = Recall.objects.filter(poll=poll).select_related("delegation").first()
    if recall is None:
        return
    if recall.delegation.person_id == by.pk:
        raise NotAllowed(
            _("You cannot close the vote on your own recall: it closes by itself on time."),
            code="own_recall",
        )
    everyone_voted = not Eligibility.objects.filter(poll=poll, voted=False).exists()
    if not poll.is_past_closing_time() and not everyone_voted:
        raise Conflict(
            _("A recall vote closes by itself at its set time; it cannot be closed early."),
            code="recall_closes_on_time",
        )


def on_poll_closed(sender: Any, poll: Poll, by: Person | None = None, **kwargs: Any) -> None:
    """Receiver of :data:`asamblea.voting.signals.poll_closed`, inside the close's transaction:
    joins and leaves, elections, recalls, mandates and online consultation votes take effect
    the moment the assembly's poll is counted."""
    result = poll.result or {}
    adopted = bool(result.get("adopted"))
    if poll.motion_id is not None:
        request = AffiliationRequest.objects.filter(motion_id=poll.motion_id).first()
        if request is not None:
            assembly_decided(by, request, adopted=adopted)
    candidacy = Candidacy.objects.filter(poll=poll).first()
    if candidacy is not None:
        settle_election(candidacy, poll)
    recall = Recall.objects.filter(poll=poll).select_related("delegation").first()
    if recall is not None and adopted:
        recall_delegate(recall.delegation, poll)
    mandate = Mandate.objects.filter(poll=poll).select_related("motion__body", "body").first()
    if mandate is not None:
        settle_mandate(mandate, poll)
    row = ConsultedBody.objects.filter(poll=poll).first()
    if row is not None:
        settle_consulted(row, poll)
    forward_vote = (
        ForwardVote.objects.filter(poll=poll).select_related("body", "coordination").first()
    )
    if forward_vote is not None:
        settle_forward_vote(forward_vote, poll, adopted=adopted)
