"""Consent decisions: a proposal is adopted unless a member objects.

Rules: decision by consent as practised in sociocracy (G. Endenburg; described in J. Buck
and S. Villines, "We the People: Consenting to a Deeper Democracy", 2007): each member
consents, stands aside (states a concern but does not block) or objects. The proposal is
adopted exactly when nobody objects. An objection must give its reason, so the assembly can
work on it; concerns given when standing aside are recorded too.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from .results import Serialisable


class Stance(enum.StrEnum):
    """A member's answer to the proposal."""

    CONSENT = "consent"
    STAND_ASIDE = "stand aside"
    OBJECT = "object"


@dataclass(frozen=True)
class ConsentResponse(Serialisable):
    """One member's stance and reason. ``member`` may be a pseudonym or a ballot number."""

    member: str
    stance: Stance
    reason: str = ""


@dataclass(frozen=True)
class ConsentResult(Serialisable):
    """Whether the proposal is adopted, and every objection and concern with its reason."""

    method: str
    adopted: bool
    why: str
    consents: int
    stand_asides: tuple[ConsentResponse, ...]
    objections: tuple[ConsentResponse, ...]


def decide_consent(responses: Iterable[ConsentResponse]) -> ConsentResult:
    """Decide by consent (see the module docstring).

    Raises ``ValueError`` when a member answers twice or objects without a reason.
    """
    seen: set[str] = set()
    consents = 0
    asides: list[ConsentResponse] = []
    objections: list[ConsentResponse] = []
    for response in responses:
        if response.member in seen:
            raise ValueError(f"member {response.member!r} answered twice")
        seen.add(response.member)
        if response.stance is Stance.OBJECT and not response.reason.strip():
            raise ValueError(f"member {response.member!r} objects without giving a reason")
        if response.stance is Stance.OBJECT:
            objections.append(response)
        elif response.stance is Stance.STAND_ASIDE:
            asides.append(response)
        else:
            consents += 1
    adopted = not objections
    why = "no member objects" if adopted else f"{len(objections)} member(s) object"
    return ConsentResult(
        method="consent (no objection)",
        adopted=adopted,
        why=why,
        consents=consents,
        stand_asides=tuple(asides),
        objections=tuple(objections),
    )
