"""Coordination: bodies of bodies, their delegates and mandates, and motions that flow up, down
and sideways between assemblies.

A coordinating body is a :class:`~asamblea.bodies.models.Body` of a coordination kind. Its
``Membership`` rows are persons who facilitate or observe it; its *voting* members are the
delegates of its member bodies (:class:`Delegation`), weighed by its :class:`Statute`.
"""

from __future__ import annotations

from fractions import Fraction

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.models import Body
from asamblea.coordination.aggregate import Position, Rule, Weighting
from asamblea.elections.models import Election
from asamblea.motions.models import Motion
from asamblea.voting.models import Poll

Person = settings.AUTH_USER_MODEL
RECALL_HOURS_DEFAULT = 72
RECALL_HOURS_MAX = 24 * 30


class Statute(models.Model):
    """A coordination's own rules, besides the quorum and majority every body has."""

    class Admission(models.TextChoices):
        FACILITATORS = "facilitators", _("A facilitator of the coordination accepts")
        AUTOMATIC = "automatic", _("Accepted as soon as the assembly has decided")

    class ForwardDecision(models.TextChoices):
        VOTE = "vote", _("By a vote of the member body's members")
        FACILITATOR = (
            "facilitator",
            _("By a facilitator of the member body (for decisions taken in its meetings)"),
        )

    WEIGHTINGS = [
        (Weighting.ONE_BODY_ONE_VOTE.value, _("One body, one vote")),
        (Weighting.MEMBERSHIP.value, _("Weighted by verified active membership")),
        (Weighting.SPLIT.value, _("Split: delegates cast the base's own yes / no / abstain")),
    ]

    body = models.OneToOneField(Body, on_delete=models.CASCADE, primary_key=True)
    weighting = models.CharField(
        _("delegate weighting"),
        max_length=16,
        choices=WEIGHTINGS,
        default=Weighting.ONE_BODY_ONE_VOTE.value,
    )
    forward_threshold = models.PositiveSmallIntegerField(
        _("member bodies that must back a forwarded motion before it goes on the agenda"),
        default=1,
    )
    admission = models.CharField(
        _("how joining and leaving are accepted"),
        max_length=16,
        choices=Admission.choices,
        default=Admission.FACILITATORS,
    )
    # A recall vote's closing time is fixed from this when it opens, so nobody (least of all the
    # delegate) can keep it open or close it early.
    recall_hours = models.PositiveSmallIntegerField(
        _("hours a recall vote stays open"), default=RECALL_HOURS_DEFAULT
    )
    divergence_allowed = models.BooleanField(
        _("delegates may diverge from a binding mandate (recorded and reported to their base)"),
        default=False,
    )
    # Sending a motion up, or backing another body's, is a decision of the member body: by
    # default its members vote on it, so no facilitator alone speaks for the body.
    forward_decision = models.CharField(
        _("how a member body decides to forward or back a motion"),
        max_length=16,
        choices=ForwardDecision.choices,
        default=ForwardDecision.VOTE,
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(forward_threshold__gte=1), name="statute_threshold_ge_1"
            ),
            models.CheckConstraint(
                condition=Q(recall_hours__gte=1, recall_hours__lte=RECALL_HOURS_MAX),
                name="statute_recall_hours_range",
            ),
        ]


class Affiliation(models.Model):
    """``member`` belongs to the coordinating body ``coordination`` (an edge of the body DAG)."""

    member = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="affiliations")
    coordination = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="members")
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "member",
                "coordination",
                condition=Q(left_at__isnull=True),
                name="affiliation_active_unique",
            )
        ]
        indexes = [models.Index(fields=["coordination", "left_at"])]


class AffiliationRequest(models.Model):
    """An assembly's motion to join or leave a coordination, and the coordination's answer."""

    class Direction(models.TextChoices):
        JOIN = "join", _("Join")
        LEAVE = "leave", _("Leave")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Waiting for the assembly's decision")
        DECIDED = "decided", _("Decided by the assembly, waiting for the coordination")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")
        DROPPED = "dropped", _("Rejected by the assembly")

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="affiliation_requests")
    coordination = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    motion = models.OneToOneField(Motion, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PROPOSED)
    decided_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class DelegateElection(models.Model):
    """A body elects ``seats`` delegates to a coordination. Each candidate has a yes / no vote
    of the body's members (for a coordinating body, of its delegates, weighed by its statute);
    a yes is an approval, and approval voting fills the seats.

    An assembly may instead hold it as one verifiable approval election (``election``, in
    :mod:`asamblea.elections`): its candidacies then have no poll, and the election's decrypted
    marks per candidate are the approvals when it closes."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="delegate_elections")
    coordination = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    seats = models.PositiveSmallIntegerField(_("seats"))
    term_days = models.PositiveSmallIntegerField(_("term (days)"))
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    opened_by = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # A verifiable delegate election: the approval election its facilitator runs on the
    # election's own verifiable pages (None: one secret poll per candidate, or delegates' votes).
    election = models.OneToOneField(
        Election, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at"]


class Candidacy(models.Model):
    election = models.ForeignKey(
        DelegateElection, on_delete=models.CASCADE, related_name="candidacies"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    # An assembly votes on each candidate by a poll of its members; a coordinating body by a
    # vote of its own delegates (at most one of the two is set; neither in a verifiable
    # delegate election, whose candidates are on the ballot of its one election).
    poll = models.OneToOneField(
        Poll, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    vote = models.OneToOneField(
        "CoordinationVote", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    order = models.PositiveSmallIntegerField()
    approvals = models.PositiveIntegerField(null=True, blank=True)
    elected = models.BooleanField(default=False)

    class Meta:
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint("election", "person", name="candidacy_unique"),
        ]


class Delegation(models.Model):
    """``person`` represents ``body`` in ``coordination`` from ``starts_at`` until
    ``term_ends``, unless recalled earlier."""

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="delegations")
    coordination = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="delegates")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="delegations")
    election = models.ForeignKey(
        DelegateElection, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    starts_at = models.DateTimeField(default=timezone.now)
    term_ends = models.DateTimeField()
    recalled_at = models.DateTimeField(null=True, blank=True)
    recall_poll = models.ForeignKey(
        Poll, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["coordination", "recalled_at", "term_ends"])]

    def is_active(self) -> bool:
        return self.recalled_at is None and self.term_ends > timezone.now()


class Recall(models.Model):
    """A vote of the base on recalling one of its delegates."""

    delegation = models.ForeignKey(Delegation, on_delete=models.CASCADE, related_name="recalls")
    poll = models.OneToOneField(Poll, on_delete=models.CASCADE, related_name="+")
    proposed_by = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)


class Mandate(models.Model):
    """A body's position on a coordination motion: its delegates' mandate. While ``poll`` is
    open the body is still deciding and ``position`` is empty."""

    POSITIONS = [
        (Position.FOR.value, _("For")),
        (Position.AGAINST.value, _("Against")),
        (Position.ABSTAIN.value, _("Abstain")),
        (Position.FREE.value, _("Free vote")),
    ]

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="mandates")
    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="mandates")
    position = models.CharField(max_length=8, choices=POSITIONS, blank=True)
    binding = models.BooleanField(_("binding"), default=False)
    poll = models.OneToOneField(
        Poll, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    set_by = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint("body", "motion", name="mandate_unique")]


class CoordinationVote(models.Model):
    """A vote of a coordination's delegates, with seats and weights frozen at opening."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    coordination = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="delegate_votes")
    title = models.CharField(max_length=200)
    weighting = models.CharField(max_length=16, choices=Statute.WEIGHTINGS)
    quorum_percent = models.PositiveSmallIntegerField()
    majority = models.CharField(max_length=16, choices=Poll.Majority.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    opened_by = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    closes_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def is_split(self) -> bool:
        return self.weighting == Weighting.SPLIT.value

    def is_past_closing_time(self) -> bool:
        return self.closes_at is not None and self.closes_at <= timezone.now()


CHOICE_LABELS = {"yes": _("Yes"), "no": _("No"), "abstain": _("Abstain")}


class Seat(models.Model):
    """One delegate seat of a member body in a coordination vote. A recall empties the seat
    (``delegation`` None, ``vacated`` True, its vote removed); a delegate the body elects while
    the vote is open takes the empty seat."""

    vote = models.ForeignKey(CoordinationVote, on_delete=models.CASCADE, related_name="seats")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    delegation = models.ForeignKey(
        Delegation, on_delete=models.SET_NULL, null=True, blank=True, related_name="seats"
    )
    share_num = models.PositiveIntegerField()
    share_den = models.PositiveIntegerField(default=1)
    cap = models.PositiveIntegerField(default=0)
    choice = models.CharField(max_length=8, blank=True)
    requested = models.CharField(max_length=8, blank=True)
    split_yes = models.PositiveIntegerField(null=True, blank=True)
    split_no = models.PositiveIntegerField(null=True, blank=True)
    split_abstain = models.PositiveIntegerField(null=True, blank=True)
    mandate = models.CharField(max_length=8, blank=True)
    binding = models.BooleanField(default=False)
    cast_at = models.DateTimeField(null=True, blank=True)
    vacated = models.BooleanField(default=False)

    class Meta:
        ordering = ["body__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                "vote",
                "delegation",
                condition=Q(delegation__isnull=False),
                name="seat_delegation_unique",
            )
        ]

    @property
    def share(self) -> Fraction:
        return Fraction(self.share_num, self.share_den)

    @property
    def mandate_label(self) -> str:
        """The mandate in words, in the reader's language ("for" is a code, not a word)."""
        return str(dict(Mandate.POSITIONS).get(self.mandate, self.mandate))

    @property
    def choice_label(self) -> str:
        return str(CHOICE_LABELS.get(self.choice, self.choice))

    @property
    def split(self) -> tuple[int, int, int] | None:
        if self.split_yes is None or self.split_no is None or self.split_abstain is None:
            return None
        return (self.split_yes, self.split_no, self.split_abstain)

    @property
    def has_voted(self) -> bool:
        return bool(self.choice) or self.split_yes is not None


class Forward(models.Model):
    """An adopted motion an assembly sends up to one of its coordinations."""

    origin = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="forwards")
    coordination = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="forwarded")
    agenda_motion = models.OneToOneField(
        Motion, on_delete=models.SET_NULL, null=True, blank=True, related_name="forwarded_from"
    )
    forwarded_by = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint("origin", "coordination", name="forward_unique"),
        ]


class ForwardVote(models.Model):
    """A member body's vote on sending its adopted motion ``origin`` up to ``coordination``
    (``forward`` empty), or on backing another body's forwarded motion (``forward`` set).
    The poll is an ordinary poll of the body's members; closing it settles the decision."""

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="forward_votes")
    coordination = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    origin = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="forward_votes")
    forward = models.ForeignKey(
        "Forward", on_delete=models.CASCADE, null=True, blank=True, related_name="votes"
    )
    poll = models.OneToOneField(Poll, on_delete=models.CASCADE, related_name="+")
    proposed_by = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]


class Backing(models.Model):
    forward = models.ForeignKey(Forward, on_delete=models.CASCADE, related_name="backings")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [models.UniqueConstraint("forward", "body", name="backing_unique")]


class Consultation(models.Model):
    """A coordination's motion put to every base assembly below it."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    RULES = [
        (Rule.HEAD_COUNT.value, _("Head count of every individual ballot")),
        (Rule.MAJORITY_OF_BODIES.value, _("Majority of assemblies")),
        (Rule.WEIGHTED.value, _("Assemblies weighted by verified active membership")),
    ]

    coordination = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="consultations")
    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="consultations")
    title = models.CharField(max_length=200)
    rule = models.CharField(max_length=24, choices=RULES)
    quorum_percent = models.PositiveSmallIntegerField()
    majority = models.CharField(max_length=16, choices=Poll.Majority.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    opened_by = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    # A verifiable consultation (docs/verifiable-ballots.md): every assembly decides by a
    # verifiable online vote under the consultation's one election key; the result is decrypted
    # from encrypted tallies by trustees among the coordination's delegates.
    verifiable = models.BooleanField(default=False)

    class Meta:
        ordering = ["-opened_at", "-pk"]

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    def is_past_deadline(self) -> bool:
        return self.deadline <= timezone.now()


class ConsultedBody(models.Model):
    """One base assembly in a consultation: its electorate, weight, sectors and region frozen at
    opening, how it decided and its counts.

    ``extra_weight`` is set when the assembly decides by an online vote whose electors weigh
    more than 1 (the sum of their weights minus one each): its counts are weighted, so its
    electorate in the count's units is ``electorate + extra_weight``."""

    class Means(models.TextChoices):
        ONLINE = "online", _("Online vote")
        MEETING = "meeting", _("Vote in a meeting")
        HANDS = "hands", _("Recorded show of hands")

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="rows")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="consultations_received")
    member_of = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    electorate = models.PositiveIntegerField()
    weight = models.PositiveIntegerField()
    sectors = models.JSONField(default=list)
    region = models.CharField(max_length=80, blank=True)
    means = models.CharField(max_length=8, choices=Means.choices, blank=True)
    poll = models.OneToOneField(
        Poll, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided = models.BooleanField(default=False)
    yes = models.PositiveIntegerField(default=0)
    no = models.PositiveIntegerField(default=0)
    abstain = models.PositiveIntegerField(default=0)
    participants = models.PositiveIntegerField(default=0)
    extra_weight = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("consultation", "body", name="consulted_body_unique"),
        ]


class Solidarity(models.Model):
    """A motion an assembly sends sideways to a sister assembly as a proposal for solidarity."""

    class State(models.TextChoices):
        SENT = "sent", _("Sent")
        TAKEN_UP = "taken_up", _("Taken up")
        DECLINED = "declined", _("Declined")

    origin = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="solidarity_sent")
    to_body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="solidarity_inbox")
    note = models.CharField(_("note"), max_length=500, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SENT)
    motion = models.OneToOneField(
        Motion, on_delete=models.SET_NULL, null=True, blank=True, related_name="solidarity_from"
    )
    sent_by = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint("origin", "to_body", name="solidarity_unique"),
        ]
