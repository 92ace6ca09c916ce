"""Solidarity logistics between the assemblies of a coordination: a board of needs and offers,
the matches two assemblies accept, the exact details they exchange, and delegations' trips.

Privacy: a posting says only a coarse place (district or city). Exact details (an address, a
phone) exist only in :class:`MatchDetail`, written after both sides accepted a match, shown only
to the facilitators of the two matched assemblies, and deleted once the match's last day has
passed. Who travels on a :class:`Trip` is seen only by its own assembly's facilitators, and is
erased after the trip too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.models import Body

Person = settings.AUTH_USER_MODEL
PLACE_MAX = 80
NOTE_MAX = 300
DETAILS_MAX = 500
QUANTITY_MAX = 10_000_000


class Kind(models.TextChoices):
    LODGING = "lodging", _("Lodging")
    TRANSPORT = "transport", _("Transport")
    FOOD = "food", _("Food")
    MEDICAL = "medical", _("Medical care")
    LEGAL = "legal", _("Legal help")
    MONEY = "money", _("Money")


# What a posting's quantity counts, by kind.
UNITS = {
    Kind.LODGING: _("places to sleep"),
    Kind.TRANSPORT: _("seats"),
    Kind.FOOD: _("meals"),
    Kind.MEDICAL: _("people cared for"),
    Kind.LEGAL: _("people advised"),
    Kind.MONEY: _("in money (local currency)"),
}


class Posting(models.Model):
    """A need or an offer an assembly posts on a coordination's board."""

    class Side(models.TextChoices):
        NEED = "need", _("Need")
        OFFER = "offer", _("Offer")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    coordination = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="logistics_postings")
    side = models.CharField(_("need or offer"), max_length=8, choices=Side.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    quantity = models.PositiveIntegerField(_("quantity"))
    place = models.CharField(_("place (district or city)"), max_length=PLACE_MAX)
    origin = models.CharField(_("leaving from (transport)"), max_length=PLACE_MAX, blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    note = models.CharField(_("note"), max_length=NOTE_MAX, blank=True)
    trip = models.ForeignKey(
        "Trip", on_delete=models.SET_NULL, null=True, blank=True, related_name="postings"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    posted_by = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_on", "pk"]
        indexes = [models.Index(fields=["coordination", "state", "ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=QUANTITY_MAX),
                name="logistics_posting_quantity",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="logistics_posting_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_side_display()} {self.get_kind_display()} ({self.place})"

    @property
    def unit(self) -> str:
        return str(UNITS[Kind(self.kind)])


class Match(models.Model):
    """Part of an offer given to a need. One side proposes it (its acceptance is given), the
    other accepts or declines; only an accepted match lets the two exchange details."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Waiting for the other assembly")
        ACCEPTED = "accepted", _("Accepted by both assemblies")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE = frozenset({"proposed", "accepted"})

    need = models.ForeignKey(Posting, on_delete=models.CASCADE, related_name="as_need")
    offer = models.ForeignKey(Posting, on_delete=models.CASCADE, related_name="as_offer")
    quantity = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PROPOSED)
    need_accepted = models.BooleanField(default=False)
    offer_accepted = models.BooleanField(default=False)
    # The last day of the need it serves: its details are deleted after it.
    ends_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    details_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint("need", "offer", name="logistics_match_pair_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="logistics_match_quantity"),
        ]

    def __str__(self) -> str:
        return f"match {self.pk}: {self.quantity} ({self.state})"


class MatchDetail(models.Model):
    """What one side of an accepted match tells the other: the exact address, a phone, whom to
    ask for. Deleted once the match's last day has passed."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="details")
    side = models.CharField(max_length=8, choices=Posting.Side.choices)
    text = models.TextField(max_length=DETAILS_MAX)
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint("match", "side", name="logistics_detail_unique")]


class Trip(models.Model):
    """A delegation's trip, planned by its assembly's facilitators (the only ones who see it)."""

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="logistics_trips")
    coordination = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=120)
    origin = models.CharField(_("leaving from"), max_length=PLACE_MAX)
    destination = models.CharField(_("going to"), max_length=PLACE_MAX)
    starts_on = models.DateField(_("leaving on"))
    ends_on = models.DateField(_("back on"))
    seats = models.PositiveIntegerField(_("seats needed"))
    travellers = models.TextField(_("who travels (one per line)"), max_length=4000, blank=True)
    lodging = models.TextField(_("where to sleep"), max_length=1000, blank=True)
    created_by = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    travellers_erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="logistics_trip_dates"
            ),
            models.CheckConstraint(
                condition=Q(seats__lte=QUANTITY_MAX), name="logistics_trip_seats"
            ),
        ]

    def __str__(self) -> str:
        return self.title
