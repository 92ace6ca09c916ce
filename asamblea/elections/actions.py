"""Elections: create, nominate, consent, open voting, cast, close and count.

Every write here checks rights, writes in one transaction, appends to the body's ledger and
publishes its live event after commit, like the yes/no votes of :mod:`asamblea.voting.actions`.

Ties left to lot are decided by a seed drawn when voting opens. Its SHA-256 goes into the
ledger entry that opens voting (so nobody can choose it later, after seeing the ballots), and
the seed itself into a ledger entry written at closing, before the count runs. Anyone holding
the downloaded ballots and the seed can therefore recount and get the published result.

Other apps call :func:`elect` to run an election (delegate elections do) and read its outcome
with :func:`asamblea.elections.queries.winners`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person, Visitor
from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.bodies.queries import (
    active_membership,
    require_facilitator,
    require_member,
    voting_members,
)
from asamblea.elections.core import ballots as election_ballots
from asamblea.elections.core.ballots import InvalidBallot
from asamblea.elections.models import (
    Candidate,
    Election,
    ElectionBallot,
    Elector,
)
from asamblea.elections.queries import (
    ballot_names,
    ballots_digest,
    ordinary_votes,
    recount,
    stored_ballots,
)
from asamblea.elections.signals import election_closed
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.live.events import publish_on_commit
from asamblea.voting.ballot_box import rewrite_electorate, shuffle_ballots
from asamblea.voting.casting import RECEIPT_BYTES, hash_receipt

MAX_SEATS = 50
MAX_SCORE = 100
SEED_BYTES = 32


def _channel(election: Election) -> str:
    return Body.channel_of(election.body_id)


def _seed_hash(seed: str) -> str:
    return hashlib.sha256(seed.encode("ascii")).hexdigest()


# ---------------------------------------------------------------------------------------------
# Creating and nominating


@transaction.atomic
def election_create(
    facilitator: Person,
    body: Body,
    *,
    title: str,
    method: str,
    seats: int = 1,
    secrecy: str = Election.Secrecy.SECRET,
    description: str = "",
    max_score: int = 5,
    purpose: str = "",
) -> Election:
    """Create an election in its nomination phase. Only a facilitator of ``body`` may.

    ``purpose`` is a free label for the app that asked for the election (see :func:`elect`).
    """
    require_facilitator(facilitator, body)
    _check_settings(title, method, seats, secrecy, max_score)
    election = Election.objects.create(
        body=body,
        title=" ".join(title.split())[:200],
        description=description.strip()[:5000],
        method=method,
        seats=1 if method in Election.SINGLE_SEAT_METHODS else seats,
        secrecy=secrecy,
        max_score=max_score,
        purpose=purpose[:80],
        created_by=facilitator,
    )
    record(
        body,
        "election.created",
        {
            "election": election.pk,
            "title": election.title,
            "method": method,
            "seats": election.seats,
            "secrecy": secrecy,
            "max_score": max_score if method == Election.Method.SCORE else None,
            "purpose": election.purpose,
            "by": facilitator.pk,
        },
    )
    publish_on_commit(_channel(election), "election.created", {"election": election.pk})
    return election


def _check_settings(title: str, method: str, seats: int, secrecy: str, max_score: int) -> None:
    if not title.strip():
        raise Refused(_("Say what is being elected or decided."), code="no_title")
    if method not in Election.Method.values:
        raise Refused(_("Choose one of the counting methods offered."), code="bad_method")
    if secrecy not in Election.Secrecy.values:
        raise Refused(_("Choose a valid secrecy."), code="bad_secrecy")
    if not 1 <= seats <= MAX_SEATS:
        raise Refused(_("An election fills between 1 and 50 seats."), code="bad_seats")
    if method == Election.Method.IRV and seats != 1:
        raise Refused(
            _("Instant runoff fills one seat; use single transferable vote for several."),
            code="bad_seats",
        )
    if not 1 <= max_score <= MAX_SCORE:
        raise Refused(_("The highest score is between 1 and 100."), code="bad_score")
    if secrecy == Election.Secrecy.VERIFIABLE and method not in Election.VERIFIABLE_METHODS:
        raise Refused(
            _(
                "Only plurality and approval elections can be held as verifiable secret "
                "ballots. Counting ranked ballots needs every ranking in the clear, which only "
                "a verifiable shuffle (not built) could give without linking rankings to "
                "voters; score and consent ballots are not encrypted either. Choose the "
                "ordinary secret ballot for this method."
            ),
            code="not_verifiable_method",
        )


def _locked(election: Election) -> Election:
    return Election.objects.select_for_update().select_related("body").get(pk=election.pk)


@transaction.atomic
def nominate(
    nominator: Person, election: Election, *, nominee: Person | None = None, statement: str = ""
) -> Candidate:
    """Nominate ``nominee`` (default: the nominator, a self-nomination).

    Both must be voting members of the body. A self-nomination stands at once; a nomination
    of someone else waits for the nominee's consent (:func:`nomination_answer`). Locks: the
    election row (``FOR UPDATE``), so no nomination slips in after voting opens, and the unique
    constraint on (election, person) against a double nomination.
    """
    return _nominate(nominator, election, nominee=nominee, statement=statement, named=False)


def _nominate(
    nominator: Person,
    election: Election,
    *,
    nominee: Person | None,
    statement: str,
    named: bool,
) -> Candidate:
    """:func:`nominate`; ``named``: the nominee stands without being asked (see :func:`elect`)."""
    body = election.body
    require_member(nominator, body)
    nominee = nominee if nominee is not None else nominator
    membership = active_membership(nominee, body)
    if membership is None or not membership.can_vote:
        raise Refused(
            _("Only members of this assembly can be nominated."), code="nominee_not_member"
        )
    if len(statement) > 2000:
        raise Refused(_("A statement has at most 2000 characters."), code="statement_too_long")
    locked = _locked(election)
    if not locked.is_nominating:
        raise Conflict(_("Nominations for this election are closed."), code="nominations_closed")
    self_nominated = nominee.pk == nominator.pk
    stands = self_nominated or named
    try:
        with transaction.atomic():
            candidate = Candidate.objects.create(
                election=locked,
                person=nominee,
                name=nominee.display_name[:120],
                statement=statement.strip(),
                nominated_by=nominator,
                status=Candidate.Status.ACCEPTED if stands else Candidate.Status.PENDING,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("This person is already nominated in this election."), code="already_nominated"
        ) from exc
    record(
        body,
        "election.nominated",
        {
            "election": locked.pk,
            "candidate": candidate.pk,
            "person": nominee.pk,
            "by": nominator.pk,
            "consented": self_nominated,
        }
        | ({"named": True} if named and not self_nominated else {}),
    )
    publish_on_commit(_channel(locked), "election.nominations", {"election": locked.pk})
    return candidate


@transaction.atomic
def option_add(facilitator: Person, election: Election, *, name: str) -> Candidate:
    """Add an alternative that is not a person (a proposal, a date, a name for something).

    Only a facilitator, during nominations. Locks the election row (``FOR UPDATE``).
    """
    require_facilitator(facilitator, election.body)
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise Refused(_("An option needs a name of at most 120 characters."), code="bad_option")
    locked = _locked(election)
    if not locked.is_nominating:
        raise Conflict(_("Nominations for this election are closed."), code="nominations_closed")
    if locked.candidates.filter(person=None, name=name).exists():
        raise Conflict(_("This option is already on the list."), code="already_nominated")
    candidate = Candidate.objects.create(
        election=locked,
        name=name,
        nominated_by=facilitator,
        status=Candidate.Status.ACCEPTED,
    )
    record(
        locked.body,
        "election.option_added",
        {"election": locked.pk, "candidate": candidate.pk, "name": name, "by": facilitator.pk},
    )
    publish_on_commit(_channel(locked), "election.nominations", {"election": locked.pk})
    return candidate


@transaction.atomic
def nomination_answer(person: Visitor, candidate: Candidate, *, accept: bool) -> Candidate:
    """The nominee consents to stand, declines, or withdraws (declining after accepting).

    Only the nominee, and only during nominations. Locks the election row, then the candidate.
    """
    if person is None or not person.is_authenticated or candidate.person_id != person.pk:
        raise NotAllowed(_("Only the person nominated can answer."), code="not_nominee")
    locked = _locked(candidate.election)
    if not locked.is_nominating:
        raise Conflict(_("Nominations for this election are closed."), code="nominations_closed")
    row = Candidate.objects.select_for_update().get(pk=candidate.pk)
    if accept and row.status != Candidate.Status.PENDING:
        raise Conflict(_("You have already answered this nomination."), code="answered")
    if not accept and row.status not in (Candidate.Status.PENDING, Candidate.Status.ACCEPTED):
        raise Conflict(_("You have already answered this nomination."), code="answered")
    if accept:
        row.status, kind = Candidate.Status.ACCEPTED, "election.nomination_accepted"
    elif row.status == Candidate.Status.ACCEPTED:
        row.status, kind = Candidate.Status.WITHDRAWN, "election.candidate_withdrew"
    else:
        row.status, kind = Candidate.Status.DECLINED, "election.nomination_declined"
    row.save(update_fields=["status"])
    record(locked.body, kind, {"election": locked.pk, "candidate": row.pk, "person": person.pk})
    publish_on_commit(_channel(locked), "election.nominations", {"election": locked.pk})
    return row


# ---------------------------------------------------------------------------------------------
# Voting


@transaction.atomic
def voting_open(facilitator: Person, election: Election) -> Election:
    """End nominations, fix the ballot and the electorate, and commit to the tie seed.

    Candidates who consented go on the ballot in alphabetical order (pending nominations lapse).
    Locks the election row (``FOR UPDATE``): nominations and a second opening wait and then see
    the new phase.
    """
    require_facilitator(facilitator, election.body)
    locked = _locked(election)
    if not locked.is_nominating:
        raise Conflict(_("Voting in this election has already opened."), code="already_open")
    standing = sorted(
        locked.candidates.filter(status=Candidate.Status.ACCEPTED),
        key=lambda c: (c.name.casefold(), c.pk),
    )
    if not standing:
        raise Conflict(_("No candidate has consented to stand yet."), code="no_candidates")
    if len(standing) > election_ballots.MAX_CANDIDATES:
        raise Refused(_("A ballot holds at most 100 candidates."), code="too_many_candidates")
    for position, candidate in enumerate(standing):
        candidate.position = position
    Candidate.objects.bulk_update(standing, ["position"])
    person_ids = list(
        voting_members(locked.body).order_by("person_id").values_list("person_id", flat=True)
    )
    Elector.objects.bulk_create(
        [Elector(election=locked, person_id=pid) for pid in person_ids], batch_size=2000
    )
    locked.seed = secrets.token_hex(SEED_BYTES)
    locked.phase = Election.Phase.VOTING
    locked.voting_opened_at = timezone.now()
    locked.electorate_size = len(person_ids)
    locked.save(update_fields=["seed", "phase", "voting_opened_at", "electorate_size"])
    record(
        locked.body,
        "election.voting_opened",
        {
            "election": locked.pk,
            "candidates": [[c.position, c.name, c.person_id] for c in standing],
            "electorate": len(person_ids),
            "seed_sha256": _seed_hash(locked.seed),
            "by": facilitator.pk,
        },
    )
    publish_on_commit(_channel(locked), "election.voting_opened", {"election": locked.pk})
    return locked


@dataclass(frozen=True)
class ElectionReceipt:
    election_id: int
    receipt: str | None  # secret elections only


def read_ballot(election: Election, form: Mapping[str, Sequence[str]]) -> str:
    """The canonical content of the ballot in ``form``, or :class:`Refused` saying what is wrong."""
    try:
        return election_ballots.read_form(
            election.method,
            election.candidates.filter(position__isnull=False).count(),
            election.seats,
            election.max_score,
            form,
        )
    except InvalidBallot as error:
        raise Refused(ballot_message(error), code=f"ballot_{error.code}") from error


def ballot_message(error: InvalidBallot) -> Any:
    """The translated sentence for a ballot problem."""
    messages = {
        "bad_rank": _("A rank must be a whole number from 1 to %(high)s."),
        "equal_ranks": _(
            "Two or more candidates share rank %(rank)s. This method needs one candidate per "
            "rank: give each a different number."
        ),
        "rank_gap": _("Your ranks skip %(rank)s. Number your choices 1, 2, 3… without gaps."),
        "empty_ranking": _("Rank at least one candidate (1 for your first choice)."),
        "unknown_candidate": _("Your ballot names a candidate who is not on this ballot."),
        "repeated_field": _("Your ballot gives two answers for the same candidate."),
        "repeated_mark": _("Your ballot marks the same candidate twice."),
        "too_many_marks": _("Mark at most %(most)s candidates."),
        "no_marks": _("Mark at least one candidate."),
        "missing_score": _("Give every candidate a score (0 if you do not support them)."),
        "bad_score": _("A score must be a whole number from %(low)s to %(high)s."),
        "bad_stance": _("Choose consent, stand aside or objection for each proposal."),
        "reason_required": _("Say why you object: an objection needs a reason."),
        "reason_too_long": _("A reason has at most %(most)s characters."),
        "no_candidates": _("This ballot has no candidates."),
    }
    message = messages.get(error.code)
    if message is None:
        return _("This ballot cannot be read.")
    return message % error.params if error.params else message


@transaction.atomic
def ballot_cast(
    person: Visitor, election: Election, *, form: Mapping[str, Sequence[str]]
) -> ElectionReceipt:
    """Cast one election ballot. The caller acknowledges only after this returns (after commit).

    The ballot is read and checked before anything is written. Locks: the election row is held
    under a shared lock (``FOR SHARE`` on PostgreSQL; SQLite serialises writers) so a close
    waits for casts in flight; one person, one ballot is the conditional UPDATE that flips
    ``Elector.voted`` from false to true under that row's lock.
    """
    if person is None or not person.is_authenticated:
        raise NotAllowed(_("Log in to vote."), code="login_required")
    locked = _election_shared(election)
    if not locked.is_voting:
        if locked.is_closed:
            raise Conflict(_("Voting in this election is closed."), code="election_closed")
        raise Conflict(_("Voting in this election has not opened yet."), code="not_open")
    if locked.is_verifiable and not locked.plain_fallback:
        raise Conflict(
            _(
                "This election takes encrypted ballots only: open its page in a browser with "
                "JavaScript."
            ),
            code="encrypted_only",
        )
    content = read_ballot(locked, form)
    flipped = Elector.objects.filter(election=locked, person=person, voted=False).update(voted=True)
    if not flipped:
        if Elector.objects.filter(election=locked, person=person).exists():
            raise Conflict(_("You have already voted in this election."), code="already_voted")
        raise NotAllowed(_("You are not in the electorate of this election."), code="not_eligible")
    weight = Elector.objects.filter(election=locked, person=person).values_list(
        "weight", flat=True
    )[0]
    receipt = None
    if locked.is_secret:
        receipt = secrets.token_hex(RECEIPT_BYTES)
        ElectionBallot.objects.create(
            election=locked, content=content, weight=weight, receipt_hash=hash_receipt(receipt)
        )
    else:
        ElectionBallot.objects.create(election=locked, content=content, weight=weight, voter=person)
    publish_on_commit(_channel(locked), "election.progress", {"election": locked.pk})
    return ElectionReceipt(locked.pk, receipt)


def _election_shared(election: Election) -> Election:
    """Read the election under a lock that a close (``FOR UPDATE``) must wait for."""
    if connection.vendor == "postgresql":
        rows = list(
            Election.objects.raw(
                "SELECT * FROM voting_election WHERE id = %s FOR SHARE", [election.pk]
            )
        )
    else:
        rows = list(Election.objects.filter(pk=election.pk))
    if not rows:
        raise Refused(_("This election does not exist."), code="no_election", status=404)
    return rows[0]


# ---------------------------------------------------------------------------------------------
# Closing and counting


@transaction.atomic
def election_close(by: Person, election: Election) -> Election:
    """Close voting, publish the seed, count, and publish the result with its trace.

    The ledger gets the seed and the ballots' digest *before* the count runs, then the result.
    Takes ``FOR UPDATE`` on the election row: it waits for casts in flight (``FOR SHARE``), and
    any later cast sees the election closed.
    """
    require_facilitator(by, election.body)
    locked = _locked(election)
    if not locked.is_voting:
        if locked.is_closed:
            raise Conflict(_("This election is already closed."), code="election_closed")
        raise Conflict(_("Voting in this election has not opened yet."), code="not_open")
    if locked.is_verifiable:
        raise Conflict(
            _(
                "A verifiable election closes when its trustees have decrypted the tally: "
                "close its ballot box on the election's verifiable page."
            ),
            code="verifiable_pending",
        )
    if locked.is_secret:
        shuffle_ballots(
            ElectionBallot.objects.filter(election=locked),
            ("election_id", "content", "weight", "receipt_hash"),
        )
        rewrite_electorate(Elector.objects.filter(election=locked), "election_id")
    ballots = stored_ballots(locked)
    digest = ballots_digest(ballots)
    record(
        locked.body,
        "election.seed",
        {
            "election": locked.pk,
            "seed": locked.seed,
            "ballots": ElectionBallot.objects.filter(election=locked).count(),
            "ballots_sha256": digest,
        },
    )
    result = recount(locked)
    participants = Elector.objects.filter(election=locked, voted=True).count()
    locked.result = result | {"participants": participants, "ballots_sha256": digest}
    locked.phase = Election.Phase.CLOSED
    locked.closed_at = timezone.now()
    locked.save(update_fields=["result", "phase", "closed_at"])
    names = ballot_names(locked)
    record(
        locked.body,
        "election.closed",
        {
            "election": locked.pk,
            "by": by.pk,
            "winners": [[w, names[w]] for w in result["winners"]],
            "participants": participants,
            "trace_sha256": hashlib.sha256(
                election_ballots.canonical(result["trace"]).encode()
            ).hexdigest(),
        },
    )
    election_closed.send(sender=Election, election=locked, by=by)
    publish_on_commit(_channel(locked), "election.closed", {"election": locked.pk})
    return locked


@transaction.atomic
def election_close_verified(
    by: Person | None,
    election: Election,
    *,
    counted: Sequence[int] | None,
    ballots: int,
    details: dict[str, Any],
) -> Election:
    """Close a verifiable election once its own count is known (no actor of its own: the
    asamblea.verifiable app calls it when its trustees' decryptions are combined, ``by`` None,
    or when its facilitator cancels it, ``by``). ``counted`` are the weighted marks per
    candidate the trustees decrypted (every proof checked by that app) from ``ballots``
    encrypted ballots; the ordinary secret ballots its facilitator allowed are counted here,
    added, and shown apart. ``counted`` None closes it without a valid count (cancelled): nobody
    is elected. The result is the election method's own count (plurality or approval), ties
    decided by the election's seed, published in the ledger before the count as for any
    election. ``details`` (board head and length) goes into the result as ``verifiable``."""
    locked = _locked(election)
    if not locked.is_voting:
        raise Conflict(_("This election is already closed."), code="election_closed")
    if not locked.is_verifiable:
        raise Refused(_("This election is not a verifiable election."), code="not_verifiable")
    shuffle_ballots(
        ElectionBallot.objects.filter(election=locked),
        ("election_id", "content", "weight", "receipt_hash"),
    )
    rewrite_electorate(Elector.objects.filter(election=locked), "election_id")
    stored = stored_ballots(locked)
    digest = ballots_digest(stored)
    ordinary = ElectionBallot.objects.filter(election=locked).count()
    record(
        locked.body,
        "election.seed",
        {
            "election": locked.pk,
            "seed": locked.seed,
            "ballots": ordinary,
            "ballots_sha256": digest,
            "verifiable_counts": list(counted) if counted is not None else None,
        },
    )
    verifiable = details | {
        "counts": list(counted) if counted is not None else None,
        "ballots": ballots if counted is not None else 0,
    }
    locked.result = {"verifiable": verifiable}
    result = recount(locked)
    locked.result = result | {
        "participants": ordinary + verifiable["ballots"],
        "ordinary_ballots": ordinary,
        "ordinary_votes": ordinary_votes(locked, stored),
        "ballots_sha256": digest,
        "verifiable": verifiable,
    }
    if counted is None:
        locked.result |= {"valid": False, "winners": []}
    locked.phase = Election.Phase.CLOSED
    locked.closed_at = timezone.now()
    locked.save(update_fields=["result", "phase", "closed_at"])
    names = ballot_names(locked)
    record(
        locked.body,
        "election.closed",
        {
            "election": locked.pk,
            "by": by.pk if by is not None else None,
            "winners": [[w, names[w]] for w in locked.result["winners"]],
            "participants": locked.result["participants"],
            "valid": counted is not None,
            "trace_sha256": hashlib.sha256(
                election_ballots.canonical(result["trace"]).encode()
            ).hexdigest(),
        },
    )
    election_closed.send(sender=Election, election=locked, by=by)
    publish_on_commit(_channel(locked), "election.closed", {"election": locked.pk})
    return locked


# ---------------------------------------------------------------------------------------------
# For other apps


@transaction.atomic
def elect(
    facilitator: Person,
    body: Body,
    *,
    title: str,
    seats: int,
    method: str = Election.Method.MEEK_STV,
    candidates: Iterable[Any] = (),
    secrecy: str = Election.Secrecy.SECRET,
    purpose: str = "",
    named: bool = False,
) -> Election:
    """Start an election in ``body`` and nominate ``candidates`` (persons who are members).

    This is the entry point for other apps: delegate elections call it with the seats to fill.
    Each candidate other than the facilitator must still consent (:func:`nomination_answer`),
    unless ``named``: the calling app's own rules put the candidates on the ballot as the
    facilitator named them (a delegate election: its facilitator names the candidates, as for
    its ordinary ballot, and nobody is asked), so they stand at once and their
    ``election.nominated`` entry says ``"named": true`` (``"consented"`` stays false: nobody
    consented here). Members may add nominations; a facilitator then calls
    :func:`voting_open` and, when the vote is over, :func:`election_close` (a verifiable
    election closes through its trustees, :func:`election_close_verified`); either close sends
    :data:`asamblea.elections.signals.election_closed`. Read the outcome with
    :func:`asamblea.elections.queries.winners`.
    ``purpose`` is a free label recorded in the ledger (e.g. ``"delegation:<body id>"``), so
    the caller can find its elections again: ``Election.objects.filter(purpose=...)``.
    """
    election = election_create(
        facilitator,
        body,
        title=title,
        method=method,
        seats=seats,
        secrecy=secrecy,
        purpose=purpose,
    )
    for person in candidates:
        _nominate(facilitator, election, nominee=person, statement="", named=named)
    return election
