"""Writes of pledges: open, commit, withdraw, commit an assembly as a whole by its own vote,
trigger, lapse, and the follow-through question.

Every function checks rights, writes in one transaction, records in the ledger and publishes
its live event after commit. Commitments and withdrawals record nothing in the ledger and
publish only ``pledge.progress`` (the broker coalesces it to at most one a second and never
replays it), so neither the ledger nor the live stream times a person's commitment.
"""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.bodies.queries import require_facilitator
from asamblea.coordination.queries import (
    base_of,
    require_facilitator_of_coordination,
    voting_member_counts,
)
from asamblea.dates import check_moment
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.live.events import publish_on_commit
from asamblea.pledges.models import Commitment, Pledge, PledgeAssembly
from asamblea.pledges.queries import evaluation, holder, my_assemblies
from asamblea.pledges.thresholds import share
from asamblea.voting.actions import DEFAULT_VOTE_DURATION, poll_open
from asamblea.voting.models import Poll

TITLE_MAX = 200
TEXT_MAX = 2000
MAX_PEOPLE = 10_000_000
MAX_ASSEMBLIES = 100_000
MAX_AHEAD = timedelta(days=366)
FOLLOWUP_DAYS = 14


def _check_thresholds(people: int | None, assemblies: int | None, percent: int | None) -> None:
    if people is None and assemblies is None and percent is None:
        raise Refused(
            _("Set at least one threshold: people, assemblies or a percentage of members."),
            code="no_threshold",
        )
    if people is not None and not 1 <= people <= MAX_PEOPLE:
        raise Refused(_("The number of people is between 1 and 10,000,000."), code="bad_people")
    if assemblies is not None and not 1 <= assemblies <= MAX_ASSEMBLIES:
        raise Refused(
            _("The number of assemblies is between 1 and 100,000."), code="bad_assemblies"
        )
    if percent is not None and not 1 <= percent <= 100:
        raise Refused(_("The percentage is between 1 and 100."), code="bad_percent")


def _scope(body: Body) -> list[int]:
    return [body.pk] if body.is_assembly else sorted(base_of(body))


def _snapshot(pledge: Pledge, ids: list[int]) -> None:
    """Freeze the assemblies concerned: members (active voting members, as their statutes count
    them for votes), sectors and region."""
    counts = voting_member_counts(ids)
    sectors: dict[int, list[str]] = {pk: [] for pk in ids}
    for body_id, slug in Body.sectors.through.objects.filter(body_id__in=ids).values_list(
        "body_id", "sector__slug"
    ):
        sectors[body_id].append(slug)
    regions = dict(Body.objects.filter(pk__in=ids).values_list("pk", "region"))
    PledgeAssembly.objects.bulk_create(
        [
            PledgeAssembly(
                pledge=pledge,
                body_id=pk,
                members=counts[pk],
                sectors=sorted(sectors[pk]),
                region=regions.get(pk, ""),
            )
            for pk in ids
        ],
        batch_size=2000,
    )


@transaction.atomic
def pledge_open(
    facilitator: Person,
    body: Body,
    *,
    title: str,
    deadline: datetime,
    text: str = "",
    min_people: int | None = None,
    min_assemblies: int | None = None,
    min_percent: int | None = None,
) -> Pledge:
    """A facilitator of an assembly (the pledge concerns it) or of a coordination (it concerns
    every base assembly under it, frozen now) opens a pledge with its thresholds."""
    if body.is_assembly:
        require_facilitator(facilitator, body)
    else:
        require_facilitator_of_coordination(facilitator, body)
    title, text = (title or "").strip(), (text or "").strip()
    if not title:
        raise Refused(_("Say what you will do."), code="no_title")
    if len(title) > TITLE_MAX or len(text) > TEXT_MAX:
        raise Refused(_("The text is too long."), code="too_long")
    _check_thresholds(min_people, min_assemblies, min_percent)
    check_moment(deadline, ahead=MAX_AHEAD)
    ids = _scope(body)
    if not ids:
        raise Conflict(_("This coordination has no member assemblies yet."), code="no_scope")
    if min_assemblies is not None and min_assemblies > len(ids):
        raise Refused(
            _("The pledge concerns %(n)s assemblies: it cannot need more.") % {"n": len(ids)},
            code="bad_assemblies",
        )
    pledge = Pledge.objects.create(
        body=body,
        title=title,
        text=text,
        min_people=min_people,
        min_assemblies=min_assemblies,
        min_percent=min_percent,
        deadline=deadline,
        opened_by=facilitator,
    )
    _snapshot(pledge, ids)
    record(
        body,
        "pledge.opened",
        {
            "pledge": pledge.pk,
            "title": title,
            "by": facilitator.pk,
            "people": min_people,
            "assemblies": min_assemblies,
            "percent": min_percent,
            "scope": len(ids),
            "deadline": deadline.isoformat(timespec="seconds"),
        },
    )
    publish_on_commit(pledge.channel, "pledge.opened", {"pledge": pledge.pk})
    return pledge


def _lock(pk: int) -> Pledge:
    """The pledge row under ``FOR UPDATE`` (its body read, not locked)."""
    return Pledge.objects.select_for_update(of=("self",)).select_related("body").get(pk=pk)


def _lock_taking_commitments(pledge: Pledge) -> Pledge:
    """The pledge row under ``FOR UPDATE`` (commitments, withdrawals, whole-assembly decisions
    and the trigger are serialised on it, so it triggers exactly once), still before its
    deadline."""
    locked = _lock(pledge.pk)
    if locked.past_deadline() or locked.is_lapsed:
        raise Conflict(_("The deadline of this pledge has passed."), code="past_deadline")
    return locked


def _progress(pledge: Pledge) -> None:
    publish_on_commit(pledge.channel, "pledge.progress", {"pledge": pledge.pk})


def _tell_everyone(pledge: Pledge, kind: str) -> None:
    """The opening body's channel (the pledge page) and every assembly concerned."""
    publish_on_commit(pledge.channel, kind, {"pledge": pledge.pk})
    for body_id in PledgeAssembly.objects.filter(pledge=pledge).values_list("body_id", flat=True):
        if body_id != pledge.body_id:
            publish_on_commit(f"body:{body_id}", kind, {"pledge": pledge.pk})


def _check_trigger(locked: Pledge) -> None:
    """Trigger the (locked, open) pledge when its thresholds are met: recorded with the counts,
    told to everyone concerned after commit."""
    if not locked.is_open:
        return
    result = evaluation(locked)
    if not result.met:
        return
    locked.state = Pledge.State.TRIGGERED
    locked.triggered_at = timezone.now()
    locked.result = result.to_dict()
    locked.save(update_fields=["state", "triggered_at", "result"])
    record(
        locked.body,
        "pledge.triggered",
        {"pledge": locked.pk, "title": locked.title} | result.to_dict(),
    )
    _tell_everyone(locked, "pledge.triggered")


@transaction.atomic
def commit(person: Person, pledge: Pledge, *, assembly: Body | None = None) -> None:
    """``person`` commits, counted in ``assembly`` (one of the pledge's assemblies where they
    are a voting member; by default the first by name). Stores no person and no time (see
    :class:`~asamblea.pledges.models.Commitment`); the unique (pledge, holder) constraint and
    the pledge row's lock make a second commitment a conflict."""
    locked = _lock_taking_commitments(pledge)
    mine = my_assemblies(person, locked)
    if not mine:
        raise NotAllowed(
            _("Only members of the assemblies this pledge concerns can commit."),
            code="not_concerned",
        )
    chosen = mine[0]
    if assembly is not None:
        if assembly.pk not in {b.pk for b in mine}:
            raise NotAllowed(
                _("You can only commit in an assembly of this pledge where you are a member."),
                code="not_member",
            )
        chosen = assembly
    try:
        with transaction.atomic():
            Commitment.objects.create(
                pledge=locked, body=chosen, holder=holder(locked.pk, person.pk)
            )
    except IntegrityError as exc:
        raise Conflict(_("You have already committed to this pledge."), code="committed") from exc
    _check_trigger(locked)
    _progress(locked)


@transaction.atomic
def withdraw(person: Person, pledge: Pledge) -> None:
    """Withdraw one's commitment, until the deadline. A pledge that already triggered stays
    triggered (that moment is recorded); its counts go down."""
    locked = _lock_taking_commitments(pledge)
    deleted, _rows = Commitment.objects.filter(
        pledge=locked, holder=holder(locked.pk, person.pk)
    ).delete()
    if not deleted:
        raise Conflict(_("You have not committed to this pledge."), code="not_committed")
    _progress(locked)


@transaction.atomic
def pledge_vote_open(facilitator: Person, pledge: Pledge, assembly: Body) -> Poll:
    """A facilitator of one of the pledge's assemblies puts committing the whole assembly to a
    secret vote of its members (an ordinary poll, by the assembly's statute: quorum and
    majority). Adopted before the deadline, the assembly commits with all its members
    (:func:`on_poll_closed`). The vote closes by the deadline at the latest."""
    require_facilitator(facilitator, assembly)
    locked = _lock_taking_commitments(pledge)
    row = (
        PledgeAssembly.objects.select_for_update(of=("self",))
        .select_related("poll")
        .filter(pledge=locked, body=assembly)
        .first()
    )
    if row is None:
        raise NotAllowed(_("This pledge does not concern this assembly."), code="not_concerned")
    if row.whole:
        raise Conflict(_("This assembly has already committed as a whole."), code="whole")
    if row.poll is not None and row.poll.is_open:
        raise Conflict(_("The members are already voting on this."), code="vote_open")
    closes_at = min(locked.deadline, timezone.now() + DEFAULT_VOTE_DURATION)
    title = _("Commit the whole assembly to the pledge «%(title)s»") % {"title": locked.title}
    poll = poll_open(facilitator, assembly, title=str(title), closes_at=closes_at)
    row.poll = poll
    row.save(update_fields=["poll"])
    record(assembly, "pledge.vote_opened", {"pledge": locked.pk, "poll": poll.pk})
    _progress(locked)
    return poll


def on_poll_closed(sender: Any, poll: Poll, by: Person | None = None, **kwargs: Any) -> None:
    """Receiver of :data:`asamblea.voting.signals.poll_closed`, inside the close's transaction:
    an adopted vote commits the assembly as a whole. It never raises: a vote counted after the
    deadline is recorded as too late."""
    row = PledgeAssembly.objects.filter(poll=poll).select_related("body").first()
    if row is None or not (poll.result or {}).get("adopted"):
        return
    locked = _lock(row.pledge_id)
    if locked.past_deadline() or locked.is_lapsed:
        record(row.body, "pledge.assembly_too_late", {"pledge": locked.pk, "poll": poll.pk})
        return
    row.whole = True
    row.save(update_fields=["whole"])
    record(
        row.body,
        "pledge.assembly_committed",
        {"pledge": locked.pk, "poll": poll.pk, "members": row.members},
    )
    _check_trigger(locked)
    _progress(locked)


def _rewrite_commitments(pledge: Pledge, *, erase: bool) -> None:
    """Rewrite the pledge's commitments in random order with fresh random ids (one transaction,
    so on PostgreSQL one ``xmin`` for all): neither ids, storage order nor transaction ids keep
    the order in which people committed. ``erase`` also replaces every holder by random bytes:
    then nothing links anyone to the pledge any more."""
    rows = list(Commitment.objects.filter(pledge=pledge).values("body_id", "holder", "answered"))
    random.SystemRandom().shuffle(rows)
    if erase:
        for row in rows:
            row["holder"] = secrets.token_hex(32)
            row["answered"] = False
    Commitment.objects.filter(pledge=pledge).delete()
    Commitment.objects.bulk_create(
        [Commitment(pledge=pledge, **row) for row in rows], batch_size=2000
    )


@transaction.atomic
def settle(pledge: Pledge) -> Pledge:
    """After the deadline: an open pledge lapses (nobody is bound; recorded with its counts,
    told to everyone concerned), and the commitments are rewritten in random order. Runs once
    (``sealed``), under the pledge row's lock. No actor: the deadline settles it."""
    locked = _lock(pledge.pk)
    if locked.sealed or not locked.past_deadline():
        return locked
    if locked.is_open:
        _check_trigger(locked)
    if locked.is_open:
        result = evaluation(locked)
        locked.state = Pledge.State.LAPSED
        locked.result = result.to_dict()
        locked.save(update_fields=["state", "result"])
        record(
            locked.body,
            "pledge.lapsed",
            {"pledge": locked.pk, "title": locked.title} | result.to_dict(),
        )
        _tell_everyone(locked, "pledge.lapsed")
    _rewrite_commitments(locked, erase=False)
    locked.sealed = True
    locked.save(update_fields=["sealed"])
    return locked


@transaction.atomic
def followup_open(facilitator: Person, pledge: Pledge) -> Pledge:
    """After the deadline of a triggered pledge, a facilitator of the opening body asks those
    who committed "did you take part?". The question closes by itself after FOLLOWUP_DAYS."""
    locked = _lock(pledge.pk)
    if locked.body.is_assembly:
        require_facilitator(facilitator, locked.body)
    else:
        require_facilitator_of_coordination(facilitator, locked.body)
    if not locked.is_triggered:
        raise Conflict(
            _("Only a pledge that triggered has a follow-through."), code="not_triggered"
        )
    if not locked.past_deadline():
        raise Conflict(
            _("Ask after the deadline, once the action has taken place."), code="before_deadline"
        )
    if locked.followup:
        raise Conflict(_("The follow-through question was already asked."), code="asked")
    if not locked.sealed:
        locked = settle(locked)
    locked.followup = Pledge.FollowUp.OPEN
    locked.followup_closes_at = timezone.now() + timedelta(days=FOLLOWUP_DAYS)
    locked.save(update_fields=["followup", "followup_closes_at"])
    record(
        locked.body,
        "pledge.followup_opened",
        {
            "pledge": locked.pk,
            "by": facilitator.pk,
            "closes_at": locked.followup_closes_at.isoformat(timespec="seconds"),
        },
    )
    _progress(locked)
    return locked


@transaction.atomic
def followup_answer(person: Person, pledge: Pledge, *, kept: bool) -> None:
    """Someone who committed says whether they took part. Only the counts are stored: the
    commitment's ``answered`` flag flips once (a conditional UPDATE: a second answer changes no
    row and is refused) and one of the pledge's two counters goes up."""
    locked = _lock(pledge.pk)
    if locked.followup != Pledge.FollowUp.OPEN or (
        locked.followup_closes_at is not None and locked.followup_closes_at <= timezone.now()
    ):
        raise Conflict(_("The follow-through question is not open."), code="followup_closed")
    mine = Commitment.objects.filter(pledge=locked, holder=holder(locked.pk, person.pk))
    if not mine.exists():
        raise NotAllowed(
            _("Only those who committed answer the follow-through question."),
            code="not_committed",
        )
    if not mine.filter(answered=False).update(answered=True):
        raise Conflict(_("You have already answered."), code="answered")
    counter = "kept" if kept else "not_kept"
    Pledge.objects.filter(pk=locked.pk).update(**{counter: F(counter) + 1})
    _progress(locked)


@transaction.atomic
def followup_close(pledge: Pledge) -> Pledge:
    """Close the follow-through question at its time: the share of commitments kept goes into
    the ledger, and every commitment's holder is erased, so nothing links anyone to the pledge
    any more. Runs once, under the pledge row's lock. No actor: its time closes it."""
    locked = _lock(pledge.pk)
    if locked.followup != Pledge.FollowUp.OPEN:
        return locked
    if locked.followup_closes_at is not None and locked.followup_closes_at > timezone.now():
        raise Conflict(_("The follow-through question closes by itself at its time."))
    commitments = Commitment.objects.filter(pledge=locked).count()
    _rewrite_commitments(locked, erase=True)
    locked.followup = Pledge.FollowUp.CLOSED
    locked.save(update_fields=["followup"])
    record(
        locked.body,
        "pledge.followup_closed",
        {
            "pledge": locked.pk,
            "kept": locked.kept,
            "not_kept": locked.not_kept,
            "commitments": commitments,
            "share": share(locked.kept, commitments),
        },
    )
    _progress(locked)
    return locked


def settle_due(body: Body | None = None) -> int:
    """Settle every pledge (of ``body``, if given) whose deadline passed, and close every
    follow-through question whose time passed; returns how many. ``asamblea close-due`` runs
    it, and the pledge pages do on each visit, so a pledge lapses on time without cron. No
    actor: a system job."""
    now = timezone.now()
    due = Pledge.objects.filter(sealed=False, deadline__lte=now)
    followups = Pledge.objects.filter(followup=Pledge.FollowUp.OPEN, followup_closes_at__lte=now)
    if body is not None:
        due, followups = due.filter(body=body), followups.filter(body=body)
    done = 0
    for pledge in due.only("pk"):
        settle(pledge)
        done += 1
    for pledge in followups.only("pk"):
        try:
            followup_close(pledge)
            done += 1
        except Conflict:
            continue
    return done


def settle_if_due(pledge: Pledge) -> Pledge:
    """What :func:`settle_due` does, for one pledge a page is about to show. No actor."""
    now = timezone.now()
    if not pledge.sealed and pledge.deadline <= now:
        pledge = settle(pledge)
    if (
        pledge.followup == Pledge.FollowUp.OPEN
        and pledge.followup_closes_at is not None
        and pledge.followup_closes_at <= now
    ):
        pledge = followup_close(pledge)
    return pledge
