"""What a verifiable vote belongs to: a yes / no / abstain poll, or an approval or plurality
election. The ceremony, registration, casting, tally and result are the same for both; only
these few things differ (its body and title, its electorate's rows, its ballot's one question,
its pages, its live events and how its result closes it). A consultation's own vote is a
third kind: its key ceremony and the decryption of its assemblies' tallies, where nobody votes
(see asamblea.verifiable.consultations)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from asamblea.coordination.models import Consultation
from asamblea.elections.models import Election, Elector
from asamblea.verifiable.core.simulation import YES_NO_ABSTAIN
from asamblea.voting.models import Eligibility, Poll

Question = tuple[str, tuple[str, ...], int, int]


def election_question(election: Election, names: list[str]) -> Question:
    """The one question of an election's verifiable ballot: one entry per candidate, marked 0
    or 1, with the bounds of its ordinary ballot (``elections.core.ballots``): at least one
    mark; approval any number, plurality at most as many as the seats (one for one seat)."""
    most = len(names)
    if election.method == Election.Method.PLURALITY:
        most = min(election.seats, len(names))
    return (election.title, tuple(names), 1, most)


@dataclass(frozen=True)
class Subject:
    """A poll, an election or a consultation (exactly one), seen by the verifiable app."""

    poll: Poll | None = None
    election: Election | None = None
    consultation: Consultation | None = None

    @property
    def kind(self) -> str:
        if self.consultation is not None:
            return "consultation"
        return "poll" if self.poll is not None else "election"

    @property
    def obj(self) -> Poll | Election | Consultation:
        found = self.poll or self.election or self.consultation
        assert found is not None
        return found

    @property
    def pk(self) -> int:
        return int(self.obj.pk)

    @property
    def body(self) -> Any:
        if self.consultation is not None:
            return self.consultation.coordination
        return self.obj.body

    @property
    def body_id(self) -> int:
        if self.consultation is not None:
            return int(self.consultation.coordination_id)
        return int(self.obj.body_id)

    @property
    def title(self) -> str:
        return str(self.obj.title)

    @property
    def plain_fallback(self) -> bool:
        return self.consultation is None and bool(self.obj.plain_fallback)

    @property
    def is_verifiable(self) -> bool:
        if self.consultation is not None:
            return self.consultation.verifiable
        return bool(self.obj.is_verifiable)

    @property
    def is_open(self) -> bool:
        """Open to the verifiable vote's steps: a poll open, an election in its voting phase."""
        if self.poll is not None:
            return self.poll.is_open
        if self.consultation is not None:
            return self.consultation.is_open
        assert self.election is not None
        return self.election.is_voting

    def is_past_closing_time(self) -> bool:
        return self.poll is not None and self.poll.is_past_closing_time()

    def ref(self) -> dict[str, int]:
        """How ledger entries and live events name it."""
        return {self.kind: self.pk}

    def vote_filter(self) -> dict[str, Any]:
        """The ``VerifiableVote`` lookup for it."""
        if self.poll is not None:
            return {"poll": self.poll}
        if self.consultation is not None:
            return {"consultation": self.consultation}
        return {"for_election": self.election}

    def electorate(self) -> QuerySet[Any]:
        """Its electorate's rows (``person``, ``weight``, ``voted``)."""
        if self.poll is not None:
            return Eligibility.objects.filter(poll=self.poll)
        if self.consultation is not None:
            return Eligibility.objects.none()  # nobody votes in a consultation's own vote
        return Elector.objects.filter(election=self.election)

    def progress_event(self) -> tuple[str, dict[str, int]]:
        """The live event its page listens to when someone takes part."""
        return f"{self.kind}.progress", self.ref()

    def question(self) -> Question:
        if self.poll is not None:
            return (self.poll.title, YES_NO_ABSTAIN, 1, 1)
        if self.consultation is not None:
            return (self.consultation.title, YES_NO_ABSTAIN, 1, 1)
        assert self.election is not None
        names = list(
            self.election.candidates.filter(position__isnull=False)
            .order_by("position")
            .values_list("name", flat=True)
        )
        return election_question(self.election, names)

    def url(self, name: str) -> str:
        """One of its verifiable pages or endpoints (``verifiable:<name>``, elections' ``e_``)."""
        prefix = "" if self.poll is not None else "e_"
        if self.consultation is not None:
            prefix = "consultation_" if name != "vote" else "consultation"
            name = "" if name == "vote" else name
        return reverse(f"verifiable:{prefix}{name}", args=[self.body.slug, self.pk])

    def page_url(self) -> str:
        """Its own page (the poll's or the election's)."""
        if self.poll is not None:
            return reverse("voting:detail", args=[self.body.slug, self.pk])
        if self.consultation is not None:
            return reverse("coordination:consultation", args=[self.body.slug, self.pk])
        return reverse("elections:detail", args=[self.body.slug, self.pk])

    def urls(self) -> dict[str, str]:
        """Every verifiable page and endpoint of it, for templates."""
        names = (
            "vote",
            "setup",
            "state",
            "register",
            "cast",
            "audit",
            "board",
            "board_json",
            "trustee",
            "trustee_channel",
            "trustee_commit",
            "trustee_key",
            "trustee_complaint",
            "trustee_decrypt",
            "open_voting",
            "close_voting",
            "cancel",
        )
        if self.consultation is not None:
            names = ("vote", "setup", "state", "board", "board_json") + tuple(
                n for n in names if n.startswith("trustee")
            )
        return {name: self.url(name) for name in names} | {"page": self.page_url()}
