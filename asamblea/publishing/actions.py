"""Writes on statements: drafting, adoption by the statute's rule, endorsement by member
assemblies. Each checks rights, writes in one transaction and records in the ledger; the
ledger entry ``statement.published`` makes the statement's publication (see ``sources``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.bodies.queries import active_membership, require_facilitator, require_member
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.publishing.models import (
    TEXT_MAX,
    TITLE_MAX,
    Endorsement,
    Statement,
    StatementRule,
)
from asamblea.voting.models import Poll

VOTE_TITLE_MAX = 200


def adoption_rule(body: Body) -> str:
    """How ``body`` adopts statements and endorsements: its rule, by vote without one."""
    rule = StatementRule.objects.filter(body=body).first()
    return rule.adoption if rule is not None else StatementRule.Adoption.VOTE


def _check_text(title: str, text: str) -> tuple[str, str]:
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise Refused(_("A statement needs a title and a text."))
    if len(title) > TITLE_MAX:
        raise Refused(_("The title is too long (at most 200 characters)."))
    if len(text) > TEXT_MAX:
        raise Refused(_("The text is too long (at most 20,000 characters)."))
    return title, text


def _lock(statement: Statement) -> Statement:
    return Statement.objects.select_for_update().select_related("body").get(pk=statement.pk)


@transaction.atomic
def statement_rule_set(facilitator: Person, body: Body, *, adoption: str) -> StatementRule:
    """A facilitator sets how the body adopts statements (part of its statute, recorded)."""
    require_facilitator(facilitator, body)
    if adoption not in StatementRule.Adoption.values:
        raise Refused(_("Choose how statements are adopted."))
    if adoption == adoption_rule(body):
        raise Conflict(_("Nothing to change."), code="no_change")
    rule, _created = StatementRule.objects.update_or_create(
        body=body, defaults={"adoption": adoption}
    )
    record(body, "statute.statements", {"adoption": adoption, "by": facilitator.pk})
    return rule


@transaction.atomic
def statement_draft(person: Person, body: Body, *, title: str, text: str) -> Statement:
    """A voting member (a facilitator of a coordination) drafts a statement. Numbers are per
    body; the body row's lock (``select_for_update``) keeps two drafts from one number."""
    require_member(person, body)
    title, text = _check_text(title, text)
    Body.objects.select_for_update().filter(pk=body.pk).first()
    number = (Statement.objects.filter(body=body).aggregate(n=Max("number"))["n"] or 0) + 1
    statement = Statement.objects.create(
        body=body, number=number, title=title, text=text, drafted_by=person
    )
    record(body, "statement.drafted", {"statement": statement.pk, "title": title, "by": person.pk})
    return statement


def require_editor(person: Person, statement: Statement) -> None:
    """Its drafter or a facilitator of its body, as a voting member."""
    membership = require_member(person, statement.body)
    if statement.drafted_by_id != person.pk and not membership.is_facilitator:
        raise NotAllowed(_("Only who drafted it or a facilitator can edit this statement."))


@transaction.atomic
def statement_edit(person: Person, statement: Statement, *, title: str, text: str) -> Statement:
    """Its drafter or a facilitator edits a draft (not once it is put to the vote)."""
    locked = _lock(statement)
    require_editor(person, locked)
    if not locked.is_draft:
        raise Conflict(_("Only a draft can be edited."), code="not_draft")
    locked.title, locked.text = _check_text(title, text)
    locked.updated_at = timezone.now()
    locked.save(update_fields=["title", "text", "updated_at"])
    record(locked.body, "statement.edited", {"statement": locked.pk, "title": locked.title})
    return locked


def _publish(locked: Statement, by: Person | None) -> None:
    locked.state = Statement.State.PUBLISHED
    locked.published_at = timezone.now()
    locked.adopted_by = by
    locked.save(update_fields=["state", "published_at", "adopted_by"])
    payload: dict[str, Any] = {"statement": locked.pk, "title": locked.title}
    if locked.poll_id is not None:
        payload["poll"] = locked.poll_id
    elif locked.delegate_vote_id is not None:
        payload["vote"] = locked.delegate_vote_id
    else:
        payload["by"] = by.pk if by is not None else None
    record(locked.body, "statement.published", payload)


@transaction.atomic
def statement_adopt(facilitator: Person, statement: Statement) -> Statement:
    """A facilitator adopts and publishes a draft at once: only where the body's statute says
    facilitators adopt statements. Locks the statement row."""
    locked = _lock(statement)
    require_facilitator(facilitator, locked.body)
    if adoption_rule(locked.body) != StatementRule.Adoption.FACILITATORS:
        raise NotAllowed(
            _("This body's statute says its members adopt statements by vote."),
            code="by_vote",
        )
    if not locked.is_draft:
        raise Conflict(_("Only a draft can be adopted."), code="not_draft")
    _publish(locked, facilitator)
    return locked


@transaction.atomic
def statement_put_to_vote(
    facilitator: Person, statement: Statement, *, secrecy: str = Poll.Secrecy.SECRET
) -> Statement:
    """A facilitator puts a draft to the vote: in an assembly an ordinary poll of its members;
    in a coordination its delegates' vote, on a motion of its agenda carrying the statement's
    text. The vote's close adopts and publishes the statement or rejects it
    (:func:`on_poll_closed`, :func:`on_recorded`). Locks the statement row."""
    from asamblea.voting.actions import poll_open

    locked = _lock(statement)
    require_facilitator(facilitator, locked.body)
    if not locked.is_draft:
        raise Conflict(_("Only a draft can be put to the vote."), code="not_draft")
    title = str(_("Statement: %(title)s") % {"title": locked.title})[:VOTE_TITLE_MAX]
    if not locked.body.is_assembly:
        return _put_to_delegates(facilitator, locked, title)
    poll = poll_open(facilitator, locked.body, title=title, secrecy=secrecy)
    locked.poll = poll
    locked.state = Statement.State.VOTING
    locked.save(update_fields=["poll", "state"])
    record(locked.body, "statement.vote_opened", {"statement": locked.pk, "poll": poll.pk})
    return locked


def _put_to_delegates(facilitator: Person, locked: Statement, title: str) -> Statement:
    from asamblea.coordination.actions import vote_open
    from asamblea.motions.actions import motion_submit
    from asamblea.motions.models import Motion

    motion = motion_submit(facilitator, locked.body, title=title, text=locked.text)
    if motion.state != Motion.State.SUPPORTED:
        raise Conflict(
            _("This coordination's statute wants supporters before a vote: put it as a motion."),
            code="needs_supporters",
        )
    vote = vote_open(facilitator, locked.body, motion)
    locked.delegate_vote = vote
    locked.state = Statement.State.VOTING
    locked.save(update_fields=["delegate_vote", "state"])
    record(locked.body, "statement.vote_opened", {"statement": locked.pk, "vote": vote.pk})
    return locked


def on_recorded(sender: Any, body: Body, kind: str, entry: Any, **kwargs: Any) -> None:
    """Receiver of :data:`asamblea.bodies.signals.recorded`, inside the writer's transaction:
    a delegates' vote that closed settles the coordination's statement it decides, if any."""
    if kind != "coordination.vote_closed":
        return
    import json

    vote_id = json.loads(entry.payload).get("vote")
    statement = (
        Statement.objects.select_for_update()
        .select_related("delegate_vote")
        .filter(delegate_vote_id=vote_id, body=body, state=Statement.State.VOTING)
        .first()
    )
    if statement is None or statement.delegate_vote is None:
        return
    result = statement.delegate_vote.result or {}
    _settle_statement(statement, bool(result.get("adopted")))


def _settle_statement(statement: Statement, adopted: bool) -> None:
    if adopted:
        _publish(statement, None)
    else:
        statement.state = Statement.State.REJECTED
        statement.save(update_fields=["state"])
        record(statement.body, "statement.rejected", {"statement": statement.pk})


def _adopted(poll: Poll) -> bool:
    return bool(poll.result and poll.result.get("adopted") and poll.result.get("valid", True))


def on_poll_closed(sender: Any, poll: Poll, by: Person | None = None, **kwargs: Any) -> None:
    """Receiver of :data:`asamblea.voting.signals.poll_closed`, inside the close's transaction:
    settles the statement or the endorsement the poll decides, if any."""
    statement = Statement.objects.select_for_update().filter(poll=poll).first()
    if statement is not None and statement.state == Statement.State.VOTING:
        _settle_statement(statement, _adopted(poll))
        return
    endorsement = (
        Endorsement.objects.select_for_update()
        .select_related("statement__body", "body")
        .filter(poll=poll, state=Endorsement.State.VOTING)
        .first()
    )
    if endorsement is not None:
        _settle_endorsement(endorsement, _adopted(poll), None)


# --- Endorsements ------------------------------------------------------------------------------


def _settle_endorsement(endorsement: Endorsement, endorsed: bool, by: Person | None) -> None:
    endorsement.state = Endorsement.State.ENDORSED if endorsed else Endorsement.State.DECLINED
    endorsement.at = timezone.now()
    endorsement.by = by
    endorsement.save(update_fields=["state", "at", "by"])
    kind = "statement.endorsed" if endorsed else "statement.endorsement_declined"
    payload = {"statement": endorsement.statement_id, "body": endorsement.body_id}
    record(endorsement.body, kind, payload)
    if endorsed:
        # The coordination's ledger names a members-only assembly by nothing but the fact.
        public = endorsement.body.is_public
        shown = payload if public else {"statement": payload["statement"], "members_only": True}
        record(endorsement.statement.body, kind, shown)


def _require_member_body(statement: Statement, body: Body) -> None:
    from asamblea.coordination.models import Affiliation

    if not Affiliation.objects.filter(
        member=body, coordination=statement.body, left_at__isnull=True
    ).exists():
        raise NotAllowed(_("Only the coordination's member bodies can endorse its statements."))


@transaction.atomic
def endorsement_start(facilitator: Person, statement: Statement, body: Body) -> Endorsement:
    """A facilitator of ``body``, a member body of the coordination that published
    ``statement``, endorses it by ``body``'s rule: at once where its facilitators adopt
    statements, otherwise by opening a vote of its members (closing it settles the
    endorsement). The unique constraint on live endorsements refuses a second one."""
    from asamblea.voting.actions import poll_open

    locked = _lock(statement)
    require_facilitator(facilitator, body)
    if locked.body.is_assembly:
        raise Refused(_("Only a coordination's statements are endorsed by its member bodies."))
    if not locked.is_published:
        raise Conflict(_("Only a published statement can be endorsed."), code="not_published")
    _require_member_body(locked, body)
    if Endorsement.objects.filter(statement=locked, body=body).exclude(state="declined").exists():
        raise Conflict(_("This body has already endorsed it or is voting on it."), code="twice")
    if adoption_rule(body) == StatementRule.Adoption.FACILITATORS:
        endorsement = Endorsement.objects.create(
            statement=locked, body=body, state=Endorsement.State.VOTING
        )
        _settle_endorsement(endorsement, True, facilitator)
        return endorsement
    if not body.is_assembly:
        raise Refused(_("A coordination endorses by its facilitators, where its statute says so."))
    title = str(_("Endorse: %(title)s") % {"title": locked.title})[:VOTE_TITLE_MAX]
    poll = poll_open(facilitator, body, title=title)
    endorsement = Endorsement.objects.create(
        statement=locked, body=body, state=Endorsement.State.VOTING, poll=poll
    )
    record(body, "statement.endorsement_vote_opened", {"statement": locked.pk, "poll": poll.pk})
    return endorsement


def may_draft(person: Person, body: Body) -> bool:
    membership = active_membership(person, body)
    return membership is not None and membership.can_vote
